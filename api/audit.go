package api

import (
	"encoding/json"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/shaobao/shaobao/store"
)

// Every admin change goes through audited: the store makes the change and
// writes its audit row (who, when, before, after, request id, address) in
// one transaction, so a change is never without its row and a refused
// change leaves none.

// audited runs change in the store's audit transaction; change must use
// the Store it is given, not s.Store, and return the object's id when it
// creates one.
func (s *Server) audited(c *gin.Context, ch store.Change, change func(tx *store.Store) (string, error)) error {
	return s.Store.Audited(c.Request.Context(), auditActor(c), ch, change)
}

func auditActor(c *gin.Context) store.AuditActor {
	u := caller(c)
	return store.AuditActor{UserID: u.UserID, Username: u.Username, RequestID: requestID(c), Address: c.ClientIP()}
}

// auditLineView is one line of GET /admin/audit: a sign-in event
// (category signin: kind, outcome, username) or an admin change (category
// admin: kind of object, action, object_id, before and after).
type auditLineView struct {
	Category string `json:"category"`
	auditView
	ActorID   string           `json:"actor_id,omitempty"`
	Action    string           `json:"action,omitempty"`
	ObjectID  string           `json:"object_id,omitempty"`
	Before    *json.RawMessage `json:"before,omitempty"`
	After     *json.RawMessage `json:"after,omitempty"`
	RequestID string           `json:"request_id,omitempty"`
}

func rawJSON(s string) *json.RawMessage {
	if s == "" {
		s = "null"
	}
	r := json.RawMessage(s)
	return &r
}

func toAuditLineView(l store.AuditLine) auditLineView {
	if l.Signin != nil {
		return auditLineView{Category: l.Category, auditView: toAuditView(*l.Signin)}
	}
	a := l.Admin
	return auditLineView{Category: l.Category,
		auditView: auditView{ID: a.ID, At: a.At.UTC(), Kind: a.Kind, Actor: a.Actor, Address: a.Address},
		ActorID:   a.ActorID, Action: a.Action, ObjectID: a.ObjectID, Before: rawJSON(a.Before), After: rawJSON(a.After), RequestID: a.RequestID}
}

// listAudit answers the sign-in audit and the admin changes merged,
// newest first; category, kind and the other filters narrow it.
func (s *Server) listAudit(c *gin.Context) {
	q := &queryReader{c: c}
	f := store.AuditLogQuery{
		Category: q.oneOf("category", store.CategorySignin, store.CategoryAdmin),
		Actor:    q.text("actor", 64),
		Kind:     q.oneOf("kind", append(append([]string{}, store.AuditKinds...), store.AuditKindsAdmin()...)...),
		Action:   q.oneOf("action", store.AuditActions...),
		ObjectID: q.text("object", 255),
		Outcome:  q.oneOf("outcome", "success", "failure", "backoff", "locked", "lockout", "changed", "reset", "unlocked", "issued", "revoked", "sso", "sso_refused"),
		Username: q.text("username", 64),
		Address:  q.text("address", 64),
		Since:    firstTime(q.time("since"), q.time("from")),
		Until:    firstTime(q.time("until"), q.time("to")),
		Page:     q.page(),
	}
	if q.failed() {
		return
	}
	rows, total, err := s.Store.FindAuditLog(c.Request.Context(), f)
	answerPage(c, rows, total, f.Page, err, toAuditLineView)
}

func firstTime(a, b *time.Time) *time.Time {
	if a != nil {
		return a
	}
	return b
}
