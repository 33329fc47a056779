package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/worktime"
)

// The acceptance clock per case source (GET and PUT
// /api/v1/admin/intake-settings): how long a pending case of that source
// may wait to be accepted, rejected or merged, in working time. A change
// applies to cases filed after it; running clocks keep theirs.

// intakeSettingView is one source's acceptance span. Default is true when
// no admin has set it and whistle.DefaultAcceptWithin applies.
type intakeSettingView struct {
	Source       string     `json:"source"`
	AcceptWithin string     `json:"accept_within"`
	Default      bool       `json:"default"`
	UpdatedBy    string     `json:"updated_by,omitempty"`
	UpdatedAt    *time.Time `json:"updated_at,omitempty"`
}

func intakeView(row store.IntakeSetting) intakeSettingView {
	at := row.UpdatedAt.UTC()
	return intakeSettingView{Source: row.Source, AcceptWithin: row.AcceptWithin, UpdatedBy: row.UpdatedBy, UpdatedAt: &at}
}

// listIntakeSettings answers every source, in whistle.Sources order, with
// its setting or the default, so the admin sees what is in force.
func (s *Server) listIntakeSettings(c *gin.Context) {
	rows, err := s.Store.IntakeSettings(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	set := make(map[string]store.IntakeSetting, len(rows))
	for _, r := range rows {
		set[r.Source] = r
	}
	items := make([]intakeSettingView, 0, len(whistle.Sources))
	for _, src := range whistle.Sources {
		if r, ok := set[string(src)]; ok {
			items = append(items, intakeView(r))
			continue
		}
		items = append(items, intakeSettingView{Source: string(src), AcceptWithin: whistle.DefaultAcceptWithin, Default: true})
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}

type intakeSettingRequest struct {
	AcceptWithin string `json:"accept_within" binding:"required,max=32"`
}

// putIntakeSetting sets a source's acceptance span ("2h", "1d"; working
// time), stored in its canonical form.
func (s *Server) putIntakeSetting(c *gin.Context) {
	source := whistle.Source(c.Param("source"))
	if !source.Valid() {
		fail(c, whistle.Errorf(whistle.EInvalid, "来源无效：%[1]q（可选 %[2]s）", "invalid source %[1]q (one of %[3]s)",
			string(source), strings.Join(names(whistle.Sources), "、"), strings.Join(names(whistle.Sources), ", ")))
		return
	}
	applyBody(c, http.StatusOK, func(ctx context.Context, req *intakeSettingRequest) (intakeSettingView, error) {
		sp, err := worktime.ParseSpan(req.AcceptWithin)
		if err != nil {
			return intakeSettingView{}, spanError("accept_within", req.AcceptWithin, err)
		}
		row := store.IntakeSetting{Source: string(source), AcceptWithin: sp.String(), UpdatedBy: caller(c).Username}
		if cur, ok, err := s.intakeSetting(ctx, source); err != nil {
			return intakeSettingView{}, err
		} else if ok {
			row.CreatedAt = cur.CreatedAt // Save replaces the row: keep when it was first set
		}
		if err := s.audited(c, store.Change{Action: store.ActionUpdate, Kind: "intake_setting", ObjectID: row.Source}, func(tx *store.Store) (string, error) {
			return "", tx.PutIntakeSetting(ctx, row)
		}); err != nil {
			return intakeSettingView{}, err
		}
		// Read it back for the times the database gave it.
		row, _, err = s.intakeSetting(ctx, source)
		return saved(c, row, err, intakeView, "intake setting changed", "source", source, "accept_within", row.AcceptWithin)
	})
}

// intakeSetting returns source's row; ok is false when it has none.
func (s *Server) intakeSetting(ctx context.Context, source whistle.Source) (row store.IntakeSetting, ok bool, err error) {
	rows, err := s.Store.IntakeSettings(ctx)
	if err != nil {
		return row, false, err
	}
	for _, r := range rows {
		if r.Source == string(source) {
			return r, true, nil
		}
	}
	return row, false, nil
}
