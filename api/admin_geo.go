package api

import (
	"errors"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/shaobao/shaobao/geo"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
)

// geoImportPath is the polygon import's route: its body may be a whole
// city's grids (tens of megabytes), so limits() lets it be larger.
const geoImportPath = "/api/v1/admin/geo/import"

// maxGeoImportBody caps an import: Beijing's 36,500 grids at a few dozen
// vertices each are about 35 MB of GeoJSON.
const maxGeoImportBody = 64 << 20

// eInvalidGeo is the code of a polygon file with problems (422).
const eInvalidGeo = "invalid_geojson"

// geoProblemsEnvelope is the error envelope of a refused import, with the
// problems found (at most geo.MaxProblems), each in the caller's language.
type geoProblemsEnvelope struct {
	Error struct {
		envelopeError
		Problems []geoProblemView `json:"problems"`
	} `json:"error"`
}

type geoProblemView struct {
	Index   int    `json:"index"`
	ID      string `json:"id,omitempty"`
	Message string `json:"message"`
}

// importGeo answers POST /api/v1/admin/geo/import?kind=grid|community|street
// &dry_run=: a GeoJSON FeatureCollection of Polygons or MultiPolygons
// whose properties.id are org units of that kind. Any invalid feature
// refuses the whole file with 422 and its problems; otherwise the units'
// polygons are replaced in one transaction, with the audit row.
func (s *Server) importGeo(c *gin.Context) {
	q := &queryReader{c: c}
	kind := q.oneOf("kind", store.GeoKinds...)
	dry := q.bool("dry_run")
	if q.err == nil && kind == "" {
		q.err = whistle.Errorf(whistle.EInvalid, "请给出 kind：grid、community 或 street", "give kind: grid, community or street")
	}
	if q.err != nil {
		fail(c, q.err)
		return
	}
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			fail(c, whistle.Errorf(whistle.EInvalid, "文件过大（上限 %d 字节）", "file too large (limit %d bytes)", tooLarge.Limit))
			return
		}
		fail(c, whistle.Errorf(whistle.EInvalid, "无法读取请求体", "cannot read the request body"))
		return
	}
	areas, problems, err := geo.ReadFeatureCollection(body, s.cityBounds())
	if err != nil {
		fail(c, err)
		return
	}
	var res store.GeoImport
	if problems == nil {
		res, problems, err = s.Store.ImportGeo(c.Request.Context(), auditActor(c), kind, areas, dry != nil && *dry)
		if err != nil {
			fail(c, err)
			return
		}
	}
	if len(problems) > 0 {
		s.refuseGeo(c, problems)
		return
	}
	if !res.DryRun {
		s.geoIdx.invalidate()
	}
	logger(c).Info("polygons imported", "kind", kind, "features", res.Features, "created", res.Created, "replaced", res.Replaced, "dry_run", res.DryRun)
	c.JSON(http.StatusOK, res)
}

// refuseGeo answers 422 with the problems of a polygon file.
func (s *Server) refuseGeo(c *gin.Context, problems []geo.Problem) {
	e := whistle.Errorf(eInvalidGeo, "GeoJSON 文件有误，未导入任何内容（%d 处问题，见 problems）", "the GeoJSON file has problems; nothing was imported (%d listed in problems)", len(problems))
	var env geoProblemsEnvelope
	env.Error.envelopeError = envelopeError{Code: eInvalidGeo, Message: whistle.ErrorMessage(e, lang(c)), RequestID: requestID(c)}
	for _, p := range problems {
		env.Error.Problems = append(env.Error.Problems, geoProblemView{Index: p.Index, ID: p.ID, Message: pick(c, p.Message, p.MessageEN)})
	}
	logRefusal(c, http.StatusUnprocessableEntity, eInvalidGeo, e)
	c.AbortWithStatusJSON(http.StatusUnprocessableEntity, env)
}
