package api

import (
	"github.com/gin-gonic/gin"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
)

// ctxCaller holds the signed-in caller, set once by authentication.
const ctxCaller = "shaobao.caller"

// signedIn is authentication's result: the caller as the domain sees them
// (what the policy decides on and the workflow records) and the display
// name GET /me shows. Handlers read it through caller and callerName; no
// handler sees the user's row.
type signedIn struct {
	actor       whistle.Actor
	displayName string
}

// signIn resolves token to the caller, remembers it for the request and
// puts the username on its log lines.
func (s *Server) signIn(c *gin.Context, token string) (whistle.Actor, error) {
	u, err := s.Store.UserByToken(c.Request.Context(), token)
	if err != nil {
		return whistle.Actor{}, err
	}
	a := actorOf(u)
	c.Set(ctxCaller, signedIn{actor: a, displayName: u.DisplayName})
	c.Set(ctxLogger, logger(c).With("user", a.Username))
	return a, nil
}

// actorOf is the domain's view of a user row.
func actorOf(u store.User) whistle.Actor {
	a := whistle.Actor{UserID: u.ID, Username: u.Username, Role: whistle.Role(u.Role), OrgUnitID: u.OrgUnitID, OrgPath: whistle.OrgPath(u.OrgPath)}
	if u.DepartmentID != nil {
		a.DepartmentID = *u.DepartmentID
	}
	return a
}

// caller is the signed-in caller; only call it behind authentication.
func caller(c *gin.Context) whistle.Actor {
	return c.MustGet(ctxCaller).(signedIn).actor
}

// callerName is the signed-in caller's display name.
func callerName(c *gin.Context) string {
	return c.MustGet(ctxCaller).(signedIn).displayName
}
