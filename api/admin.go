package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/worktime"
)

// requireAdmin lets only what the policy allows as admin:manage through.
func (s *Server) requireAdmin() gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := s.Policy.Authorize(caller(c), policy.Admin, policy.Object{}); err != nil {
			fail(c, err)
			return
		}
		c.Next()
	}
}

type slaPolicyRequest struct {
	Level               string `json:"level" binding:"omitempty,oneof=community street district city"`
	ReportWithin        string `json:"report_within" binding:"required,max=16"`
	HandleWithin        string `json:"handle_within" binding:"required,max=16"`
	EvaluateWithin      string `json:"evaluate_within" binding:"max=16"`
	DefaultSatisfaction string `json:"default_satisfaction" binding:"omitempty,oneof=satisfied basically_satisfied dissatisfied"`
	// MaxExtensions (1–10) and MaxExtensionDays (1–60 working days) bound
	// a task's extensions; 0 or absent: the defaults, 2 and 15. The store
	// checks the bounds.
	MaxExtensions    int `json:"max_extensions"`
	MaxExtensionDays int `json:"max_extension_days"`
	// WarnYellow and WarnRed are the warning thresholds, fractions of a
	// clock's span (0 < yellow < red < 1); 0 or absent: the defaults, 0.5
	// and 0.75. The store checks them.
	WarnYellow float64 `json:"warn_yellow"`
	WarnRed    float64 `json:"warn_red"`
}

type slaPolicyView struct {
	Class               string `json:"class"`
	Level               string `json:"level"`
	ReportWithin        string `json:"report_within"`
	HandleWithin        string `json:"handle_within"`
	EvaluateWithin      string `json:"evaluate_within"`
	DefaultSatisfaction string `json:"default_satisfaction"`
	WorkingTime         bool   `json:"working_time"`
	// The limits in force (the defaults filled in).
	MaxExtensions    int     `json:"max_extensions"`
	MaxExtensionDays int     `json:"max_extension_days"`
	WarnYellow       float64 `json:"warn_yellow"`
	WarnRed          float64 `json:"warn_red"`
	UpdatedBy        string  `json:"updated_by,omitempty"`
}

func slaView(p store.SLAPolicy) slaPolicyView {
	count, days := p.ExtensionLimits()
	yellow, red := p.WarnThresholds()
	return slaPolicyView{Class: p.Class, Level: p.Level, ReportWithin: p.ReportWithin, HandleWithin: p.HandleWithin, EvaluateWithin: p.EvaluateWithin,
		DefaultSatisfaction: p.DefaultSatisfaction, WorkingTime: !whistle.Class(p.Class).WallClock(), UpdatedBy: p.UpdatedBy,
		MaxExtensions: count, MaxExtensionDays: days, WarnYellow: yellow, WarnRed: red}
}

func (s *Server) listSLAPolicies(c *gin.Context) {
	rows, err := s.Store.SLAPolicies(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": views(rows, slaView)})
}

// classParam is the route's :class, refused unless it is a class.
func classParam(c *gin.Context) (whistle.Class, error) {
	class := whistle.Class(c.Param("class"))
	if !class.Valid() {
		return "", invalidClass("哨类", string(class))
	}
	return class, nil
}

// putSLAPolicy sets a class's clocks (for every level, or one level). The
// change applies to departments summoned after it.
func (s *Server) putSLAPolicy(c *gin.Context) {
	class, err := classParam(c)
	if err != nil {
		fail(c, err)
		return
	}
	applyBody(c, http.StatusOK, func(ctx context.Context, req *slaPolicyRequest) (slaPolicyView, error) {
		if err := normalizeSpans(class, req); err != nil {
			return slaPolicyView{}, err
		}
		cur, err := s.Store.SLAPolicyFor(ctx, class, whistle.Level(req.Level))
		if err != nil && whistle.ErrorCode(err) != whistle.ENotFound {
			return slaPolicyView{}, err
		}
		p := store.SLAPolicy{Class: string(class), Level: req.Level, ReportWithin: req.ReportWithin, HandleWithin: req.HandleWithin,
			EvaluateWithin: req.EvaluateWithin, DefaultSatisfaction: req.DefaultSatisfaction, UpdatedBy: caller(c).Username,
			MaxExtensions: req.MaxExtensions, MaxExtensionDays: req.MaxExtensionDays, WarnYellow: req.WarnYellow, WarnRed: req.WarnRed}
		if p.EvaluateWithin == "" {
			p.EvaluateWithin = whistle.EvaluateWithinOrDefault(cur.EvaluateWithin)
		}
		if p.DefaultSatisfaction == "" {
			p.DefaultSatisfaction = firstNonEmpty(cur.DefaultSatisfaction, string(whistle.DefaultSatisfaction))
		}
		err = s.audited(c, store.Change{Action: store.ActionUpdate, Kind: "sla_policy", ObjectID: p.Class + "/" + p.Level}, func(tx *store.Store) (string, error) {
			var err error
			p, err = tx.PutSLAPolicy(ctx, p)
			return "", err
		})
		return saved(c, p, err, slaView, "SLA policy changed", "class", class, "org_level", req.Level, "report_within", p.ReportWithin, "handle_within", p.HandleWithin)
	})
}

// normalizeSpans parses the request's spans into their canonical form
// ("2h") and refuses a report deadline later than the handle deadline.
func normalizeSpans(class whistle.Class, req *slaPolicyRequest) error {
	spans := map[string]*string{"report_within": &req.ReportWithin, "handle_within": &req.HandleWithin, "evaluate_within": &req.EvaluateWithin}
	parsed := map[string]worktime.Span{}
	for name, v := range spans {
		if *v == "" {
			continue
		}
		sp, err := worktime.ParseSpan(*v)
		if err != nil {
			return spanError(name, *v, err)
		}
		*v = sp.String()
		parsed[name] = sp
	}
	if spanLength(parsed["report_within"], class.WallClock()) > spanLength(parsed["handle_within"], class.WallClock()) {
		return whistle.Errorf(whistle.EInvalid, "报到时限 %s 不能长于办结时限 %s", "report_within %s must not be longer than handle_within %s", req.ReportWithin, req.HandleWithin)
	}
	return nil
}

// spanLength is how far a deadline s after the summons lies, on the
// class's clock, so that two spans compare whatever their units. Both
// deadlines count from the summons. On working time a day is one working
// day, which holds WorkdayEnd-WorkdayStart (9) working hours:
// worktime.Calendar.Add moves a deadline by Days×9h + Clock of working
// time, so "1d" outlasts "4h" but not "10h", and the longer length is
// always the later deadline. On the wall clock (emergency) a day is 24 h.
func spanLength(s worktime.Span, wallClock bool) time.Duration {
	day := worktime.WorkdayEnd - worktime.WorkdayStart
	if wallClock {
		day = 24 * time.Hour
	}
	return time.Duration(s.Days)*day + s.Clock
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// deleteSLAPolicy removes a class's policy row of one level (?level=), so
// the class's every-level row applies there again for departments
// summoned after it.
func (s *Server) deleteSLAPolicy(c *gin.Context) {
	class, err := classParam(c)
	if err != nil {
		fail(c, err)
		return
	}
	q := &queryReader{c: c}
	level := q.oneOf("level", names(whistle.Levels)...)
	if q.failed() {
		return
	}
	err = s.audited(c, store.Change{Action: store.ActionDelete, Kind: "sla_policy", ObjectID: string(class) + "/" + level}, func(tx *store.Store) (string, error) {
		return "", tx.DeleteSLAPolicy(c.Request.Context(), class, whistle.Level(level))
	})
	noContent(c, err, "SLA policy deleted", "class", class, "org_level", level)
}
