package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/shaobao/shaobao/activities/channels"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
)

// Outside channels (issue 14), configured by admins per org unit or
// department: the settings are shown, the secrets (robot URLs with their
// tokens, signing secrets, passwords) are sealed in the database and shown
// only masked. A channel that keeps failing shows its failure count and
// last error here.

// channelView is a channel as admins see it: secrets masked.
type channelView struct {
	ID            string            `json:"id"`
	OwnerKind     string            `json:"owner_kind"`
	OwnerID       string            `json:"owner_id"`
	Kind          string            `json:"kind"`
	Name          string            `json:"name"`
	Enabled       bool              `json:"enabled"`
	Events        []string          `json:"events"`
	Settings      channels.Settings `json:"settings"`
	Secrets       map[string]string `json:"secrets"`
	Failing       bool              `json:"failing"`
	Failures      int               `json:"failures"`
	FailuresTotal int               `json:"failures_total"`
	SentTotal     int               `json:"sent_total"`
	LastError     string            `json:"last_error,omitempty"`
	LastErrorAt   *time.Time        `json:"last_error_at,omitempty"`
	LastSuccessAt *time.Time        `json:"last_success_at,omitempty"`
	UpdatedBy     string            `json:"updated_by,omitempty"`
	CreatedAt     time.Time         `json:"created_at"`
	UpdatedAt     time.Time         `json:"updated_at"`
}

func (s *Server) toChannelView(ch store.ChannelConfig) channelView {
	v := channelView{ID: strconv.FormatUint(ch.ID, 10), OwnerKind: ch.OwnerKind, OwnerID: ch.OwnerID, Kind: ch.Kind, Name: ch.Name,
		Enabled: ch.Enabled, Events: []string{}, Secrets: map[string]string{}, Failing: ch.Failing(), Failures: ch.Failures,
		FailuresTotal: ch.FailuresTotal, SentTotal: ch.SentTotal, LastError: ch.LastError, LastErrorAt: utcPtr(ch.LastErrorAt),
		LastSuccessAt: utcPtr(ch.LastSuccessAt), UpdatedBy: ch.UpdatedBy, CreatedAt: ch.CreatedAt.UTC(), UpdatedAt: ch.UpdatedAt.UTC()}
	if ch.Events != "" {
		v.Events = strings.Split(ch.Events, ",")
	}
	_ = json.Unmarshal([]byte(ch.Settings), &v.Settings)
	if sec, err := s.openSecrets(ch); err == nil {
		v.Secrets = sec.Masked()
	} else {
		v.Secrets = map[string]string{"sealed": "******"}
	}
	return v
}

// openSecrets opens a channel's sealed secrets.
func (s *Server) openSecrets(ch store.ChannelConfig) (channels.Secrets, error) {
	var sec channels.Secrets
	if ch.SealedSecrets == "" {
		return sec, nil
	}
	if s.Secrets == nil {
		return sec, fmt.Errorf("no secret key")
	}
	raw, err := s.Secrets.Open(ch.SealedSecrets)
	if err != nil {
		return sec, err
	}
	return sec, json.Unmarshal(raw, &sec)
}

// sealSecrets seals sec for the database; empty secrets seal to "".
func (s *Server) sealSecrets(sec channels.Secrets) (string, error) {
	if sec == (channels.Secrets{}) {
		return "", nil
	}
	if s.Secrets == nil {
		return "", whistle.Errorf(whistle.EConflict, "服务未配置密钥（--secret-key），不能保存渠道密钥", "no secret key is configured (--secret-key): channel secrets cannot be stored")
	}
	raw, err := json.Marshal(sec)
	if err != nil {
		return "", fmt.Errorf("encode channel secrets: %w", err)
	}
	return s.Secrets.Seal(raw)
}

func (s *Server) listChannels(c *gin.Context) {
	q := &queryReader{c: c}
	f := store.ChannelFilter{
		OwnerKind: q.oneOf("owner_kind", store.RecipientOrgUnit, store.RecipientDepartment),
		OwnerID:   q.text("owner_id", 40),
	}
	if failing := q.bool("failing"); failing != nil {
		f.Failing = *failing
	}
	if q.failed() {
		return
	}
	rows, err := s.Store.ChannelConfigs(c.Request.Context(), f)
	answerAll(c, rows, err, s.toChannelView)
}

var eventName = regexp.MustCompile(`^[a-z_]{1,40}$`)

// checkEvents checks an events filter and joins it for the store.
func checkEvents(events []string) (string, error) {
	for _, e := range events {
		if !eventName.MatchString(e) {
			return "", whistle.Errorf(whistle.EInvalid, "事件名无效：%q", "invalid event name: %q", e)
		}
	}
	joined := strings.Join(events, ",")
	if len(joined) > 1000 {
		return "", whistle.Errorf(whistle.EInvalid, "事件过多", "too many events")
	}
	return joined, nil
}

type createChannelRequest struct {
	OwnerKind string            `json:"owner_kind" binding:"required,oneof=org_unit department"`
	OwnerID   string            `json:"owner_id" binding:"required,max=40"`
	Kind      string            `json:"kind" binding:"required,oneof=wecom dingtalk feishu email sms webhook"`
	Name      string            `json:"name" binding:"required,max=128"`
	Enabled   *bool             `json:"enabled"`
	Events    []string          `json:"events" binding:"max=60"`
	Settings  channels.Settings `json:"settings"`
	Secrets   channels.Secrets  `json:"secrets"`
}

// createChannel configures an outside channel for an org unit or a
// department (enabled unless "enabled": false).
func (s *Server) createChannel(c *gin.Context) {
	applyBody(c, http.StatusCreated, func(ctx context.Context, req *createChannelRequest) (channelView, error) {
		name, err := requiredText("name", req.Name)
		if err != nil {
			return channelView{}, err
		}
		cfg := channels.Config{Kind: channels.Kind(req.Kind), Settings: req.Settings, Secrets: req.Secrets}
		if err := cfg.Validate(); err != nil {
			return channelView{}, err
		}
		events, err := checkEvents(req.Events)
		if err != nil {
			return channelView{}, err
		}
		row := store.ChannelConfig{OwnerKind: req.OwnerKind, OwnerID: req.OwnerID, Kind: req.Kind, Name: name, Enabled: req.Enabled == nil || *req.Enabled,
			Events: events, UpdatedBy: caller(c).Username}
		if err := s.fillChannel(&row, cfg); err != nil {
			return channelView{}, err
		}
		err = s.audited(c, store.Change{Action: store.ActionCreate, Kind: "channel"}, func(tx *store.Store) (string, error) {
			var err error
			row, err = tx.CreateChannelConfig(ctx, row)
			return strconv.FormatUint(row.ID, 10), err
		})
		return saved(c, row, err, s.toChannelView, "channel created", "channel_id", row.ID, "kind", row.Kind, "owner_kind", row.OwnerKind, "owner_id", row.OwnerID)
	})
}

// fillChannel stores cfg's settings and sealed secrets on row.
func (s *Server) fillChannel(row *store.ChannelConfig, cfg channels.Config) error {
	settings, err := json.Marshal(cfg.Settings)
	if err != nil {
		return fmt.Errorf("encode channel settings: %w", err)
	}
	row.Settings = string(settings)
	row.SealedSecrets, err = s.sealSecrets(cfg.Secrets)
	return err
}

type updateChannelRequest struct {
	Name     *string            `json:"name" binding:"omitempty,max=128"`
	Enabled  *bool              `json:"enabled"`
	Events   *[]string          `json:"events" binding:"omitempty,max=60"`
	Settings *channels.Settings `json:"settings"`
	// Secrets replace only the secrets they set; the others stay.
	Secrets *channels.Secrets `json:"secrets"`
}

// updateChannel edits a channel: settings are replaced when given, the
// secrets given replace theirs. It clears the failure count.
func (s *Server) updateChannel(c *gin.Context) {
	applyBody(c, http.StatusOK, func(ctx context.Context, req *updateChannelRequest) (channelView, error) {
		row, err := s.Store.ChannelConfig(ctx, c.Param("id"))
		if err != nil {
			return channelView{}, err
		}
		if req.Name != nil {
			if row.Name, err = requiredText("name", *req.Name); err != nil {
				return channelView{}, err
			}
		}
		if req.Enabled != nil {
			row.Enabled = *req.Enabled
		}
		if req.Events != nil {
			if row.Events, err = checkEvents(*req.Events); err != nil {
				return channelView{}, err
			}
		}
		cfg := channels.Config{Kind: channels.Kind(row.Kind)}
		_ = json.Unmarshal([]byte(row.Settings), &cfg.Settings)
		if cfg.Secrets, err = s.openSecrets(row); err != nil && (req.Secrets == nil || req.Settings == nil) {
			return channelView{}, whistle.Errorf(whistle.EConflict, "渠道密钥无法解开（密钥已更换？），请重新填写全部设置和密钥",
				"the channel's secrets cannot be opened (was the key changed?): send all settings and secrets again")
		}
		if req.Settings != nil {
			cfg.Settings = *req.Settings
		}
		if req.Secrets != nil {
			cfg.Secrets = cfg.Secrets.Merge(*req.Secrets)
		}
		if err := cfg.Validate(); err != nil {
			return channelView{}, err
		}
		if err := s.fillChannel(&row, cfg); err != nil {
			return channelView{}, err
		}
		row.UpdatedBy = caller(c).Username
		err = s.audited(c, store.Change{Action: store.ActionUpdate, Kind: "channel", ObjectID: c.Param("id")}, func(tx *store.Store) (string, error) {
			var err error
			row, err = tx.UpdateChannelConfig(ctx, row)
			return "", err
		})
		return saved(c, row, err, s.toChannelView, "channel updated", "channel_id", row.ID, "kind", row.Kind)
	})
}

// deleteChannel removes a channel; its deliveries not sent are abandoned.
func (s *Server) deleteChannel(c *gin.Context) {
	var row store.ChannelConfig
	err := s.audited(c, store.Change{Action: store.ActionDelete, Kind: "channel", ObjectID: c.Param("id")}, func(tx *store.Store) (string, error) {
		var err error
		row, err = tx.DeleteChannelConfig(c.Request.Context(), c.Param("id"))
		return "", err
	})
	noContent(c, err, "channel deleted", "channel_id", row.ID, "kind", row.Kind)
}

// dutyShiftView is one shift of a duty roster: weekday (0 = Sunday) for a
// weekly shift, date for a dated one; from and to as "HH:MM" China time (a
// "to" not after "from" runs into the next day).
type dutyShiftView struct {
	Weekday *int   `json:"weekday,omitempty" binding:"omitempty,min=0,max=6"`
	Date    string `json:"date,omitempty" binding:"omitempty,len=10"`
	From    string `json:"from" binding:"required,len=5"`
	To      string `json:"to" binding:"required,len=5"`
	Name    string `json:"name" binding:"required,max=64"`
	Phone   string `json:"phone" binding:"required,max=32"`
}

// dutyRosterView is a department's out-of-hours duty roster: the weekly
// table and the dated shifts that replace it on their day.
type dutyRosterView struct {
	DepartmentID string          `json:"department_id"`
	Weekly       []dutyShiftView `json:"weekly"`
	Dates        []dutyShiftView `json:"dates"`
}

func clock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// parseClock reads "HH:MM" (00:00 to 24:00) as minutes after midnight.
func parseClock(field, s string) (int, error) {
	var h, m int
	if _, err := fmt.Sscanf(s, "%02d:%02d", &h, &m); err != nil || len(s) != 5 || h < 0 || m < 0 || m > 59 || h*60+m > 1440 {
		return 0, whistle.Errorf(whistle.EInvalid, "%s 须为 HH:MM（00:00 到 24:00）", "%s must be HH:MM (00:00 to 24:00)", field)
	}
	return h*60 + m, nil
}

func toDutyRosterView(dept string, shifts []store.DutyShift) dutyRosterView {
	v := dutyRosterView{DepartmentID: dept, Weekly: []dutyShiftView{}, Dates: []dutyShiftView{}}
	for _, sh := range shifts {
		sv := dutyShiftView{From: clock(sh.FromMinute), To: clock(sh.ToMinute), Name: sh.Name, Phone: sh.Phone}
		if sh.Date != "" {
			sv.Date = sh.Date
			v.Dates = append(v.Dates, sv)
			continue
		}
		wd := sh.Weekday
		sv.Weekday = &wd
		v.Weekly = append(v.Weekly, sv)
	}
	return v
}

func (s *Server) getDutyRoster(c *gin.Context) {
	ctx := c.Request.Context()
	if _, err := s.Store.Department(ctx, c.Param("id")); err != nil {
		fail(c, err)
		return
	}
	rows, err := s.Store.DutyRoster(ctx, c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toDutyRosterView(c.Param("id"), rows))
}

type putDutyRosterRequest struct {
	Weekly []dutyShiftView `json:"weekly" binding:"max=200,dive"`
	Dates  []dutyShiftView `json:"dates" binding:"max=400,dive"`
}

// putDutyRoster replaces a department's duty roster; the person on duty
// at an emergency whistle's time gets its SMS through the department's SMS
// channel.
func (s *Server) putDutyRoster(c *gin.Context) {
	dept := c.Param("id")
	applyBody(c, http.StatusOK, func(ctx context.Context, req *putDutyRosterRequest) (dutyRosterView, error) {
		if _, err := s.Store.Department(ctx, dept); err != nil {
			return dutyRosterView{}, err
		}
		var shifts []store.DutyShift
		add := func(i int, sv dutyShiftView, weekly bool) error {
			sh := store.DutyShift{Name: strings.TrimSpace(sv.Name), Phone: strings.TrimSpace(sv.Phone)}
			var err error
			if sh.FromMinute, err = parseClock("from", sv.From); err != nil {
				return err
			}
			if sh.ToMinute, err = parseClock("to", sv.To); err != nil {
				return err
			}
			if !channels.ValidPhone(sh.Phone) {
				return whistle.Errorf(whistle.EInvalid, "第 %d 班：手机号不对", "shift %d: not a phone number", i+1)
			}
			switch {
			case weekly && (sv.Weekday == nil || sv.Date != ""):
				return whistle.Errorf(whistle.EInvalid, "每周值班第 %d 班须有 weekday（0–6），不要 date", "weekly shift %d needs a weekday (0–6) and no date", i+1)
			case !weekly && (sv.Date == "" || sv.Weekday != nil):
				return whistle.Errorf(whistle.EInvalid, "按日值班第 %d 班须有 date，不要 weekday", "dated shift %d needs a date and no weekday", i+1)
			case weekly:
				sh.Weekday = *sv.Weekday
			default:
				sh.Date = sv.Date
			}
			shifts = append(shifts, sh)
			return nil
		}
		for i, sv := range req.Weekly {
			if err := add(i, sv, true); err != nil {
				return dutyRosterView{}, err
			}
		}
		for i, sv := range req.Dates {
			if err := add(i, sv, false); err != nil {
				return dutyRosterView{}, err
			}
		}
		var rows []store.DutyShift
		err := s.audited(c, store.Change{Action: store.ActionReplace, Kind: "duty_roster", ObjectID: dept}, func(tx *store.Store) (string, error) {
			var err error
			rows, err = tx.ReplaceDutyRoster(ctx, dept, shifts)
			return "", err
		})
		if err != nil {
			return dutyRosterView{}, err
		}
		logger(c).Info("duty roster replaced", "department_id", dept, "shifts", len(rows))
		return toDutyRosterView(dept, rows), nil
	})
}
