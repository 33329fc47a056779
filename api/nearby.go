package api

import (
	"math"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
)

// nearbyResponse is the answer of GET /api/v1/cases/nearby: the open cases
// of the category nearest first (by point) or newest first (by address).
// Not paginated: a duplicate hint is the first few, at most limit.
type nearbyResponse struct {
	Items []store.NearbyCase `json:"items"`
	// RadiusM is the radius searched, in metres: the one asked for or the
	// category's default; absent on a search by address.
	RadiusM float64 `json:"radius_m,omitempty"`
}

// float reads a decimal number in [min, max]; absent is nil. NaN and the
// infinities are refused (strconv.ParseFloat accepts them).
func (q *queryReader) float(name string, min, max float64) *float64 {
	v := q.c.Query(name)
	if v == "" {
		return nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < min || f > max {
		lo, hi := strconv.FormatFloat(min, 'f', -1, 64), strconv.FormatFloat(max, 'f', -1, 64)
		q.fail(name, v, "应为 "+lo+" 到 "+hi+" 的数", "want a number from "+lo+" to "+hi)
		return nil
	}
	return &f
}

// nearbyCases answers GET /api/v1/cases/nearby?lat=&lon=&category=&radius_m=
// (or ?address=): the open cases of a category near a point, in the
// caller's jurisdiction (the scope of GET /cases), for the filing form and
// the acceptance queue to spot a duplicate (并案). With lat and lon the
// search is by distance, nearest first with distance_m; without them,
// address is matched as text. exclude leaves out one case (the one being
// accepted).
func (s *Server) nearbyCases(c *gin.Context) {
	q := &queryReader{c: c}
	lat := q.float("lat", -90, 90)
	lon := q.float("lon", -180, 180)
	radius := q.float("radius_m", 1, store.MaxNearbyRadiusM)
	f := store.NearbyFilter{
		Scope:     s.scope(caller(c)),
		Category:  q.text("category", 64),
		Address:   q.text("address", 255),
		ExcludeID: q.text("exclude", 40),
		Limit:     q.int("limit", 20, 1, 100),
	}
	if q.err != nil {
		fail(c, q.err)
		return
	}
	switch {
	case (lat == nil) != (lon == nil):
		fail(c, whistle.Errorf(whistle.EInvalid, "lat 与 lon 须同时给出", "lat and lon go together: give both or neither"))
		return
	case lat == nil && f.Address == "":
		fail(c, whistle.Errorf(whistle.EInvalid, "请给出位置：lat 和 lon，或 address", "give a place: lat and lon, or address"))
		return
	case lat == nil && radius != nil:
		fail(c, whistle.Errorf(whistle.EInvalid, "radius_m 只用于按坐标查找（lat、lon）", "radius_m applies only to a search by lat and lon"))
		return
	}
	resp := nearbyResponse{}
	if lat != nil {
		f.HasPoint, f.Lat, f.Lon = true, *lat, *lon
		f.Address = "" // the point decides; the address was only a fallback
		f.RadiusM = store.NearbyRadiusFor(f.Category)
		if radius != nil {
			f.RadiusM = *radius
		}
		resp.RadiusM = f.RadiusM
	}
	items, err := s.Store.NearbyCases(c.Request.Context(), f)
	if err != nil {
		fail(c, err)
		return
	}
	resp.Items = items
	if resp.Items == nil {
		resp.Items = []store.NearbyCase{}
	}
	c.JSON(http.StatusOK, resp)
}
