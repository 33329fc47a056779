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

// userView is a user as the admin routes show it.
type userView struct {
	ID           string    `json:"id"`
	Username     string    `json:"username"`
	DisplayName  string    `json:"display_name"`
	Role         string    `json:"role"`
	OrgUnitID    string    `json:"org_unit_id"`
	OrgPath      string    `json:"org_path"`
	DepartmentID string    `json:"department_id,omitempty"`
	Active       bool      `json:"active"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

func toUserView(u store.User) userView {
	v := userView{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Role: u.Role, OrgUnitID: u.OrgUnitID, OrgPath: u.OrgPath,
		Active: u.Active, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
	if u.DepartmentID != nil {
		v.DepartmentID = *u.DepartmentID
	}
	return v
}

func (s *Server) listUsers(c *gin.Context) {
	ctx := c.Request.Context()
	q := &queryReader{c: c}
	f := store.UserQuery{
		Role:         q.oneOf("role", roleNames()...),
		OrgUnitID:    q.text("org_unit", 32),
		DepartmentID: q.text("department", 40),
		Active:       q.bool("active"),
		Query:        q.text("q", 100),
		Page:         q.page(),
	}
	f.Under = q.orgUnit(s.Store, "under").Path
	if q.failed() {
		return
	}
	rows, total, err := s.Store.FindUsers(ctx, f)
	answerPage(c, rows, total, f.Page, err, toUserView)
}

func roleNames() []string {
	names := make([]string, len(whistle.Roles))
	for i, r := range whistle.Roles {
		names[i] = string(r)
	}
	return names
}

type createUserRequest struct {
	Username     string `json:"username" binding:"required,max=64"`
	DisplayName  string `json:"display_name" binding:"required,max=128"`
	Role         string `json:"role" binding:"required,max=32"`
	OrgUnitID    string `json:"org_unit_id" binding:"max=32"`
	DepartmentID string `json:"department_id" binding:"max=40"`
}

func (s *Server) createUser(c *gin.Context) {
	applyBody(c, http.StatusCreated, func(ctx context.Context, req *createUserRequest) (userView, error) {
		name, err := requiredText("display_name", req.DisplayName)
		if err != nil {
			return userView{}, err
		}
		if !whistle.Role(req.Role).Valid() {
			return userView{}, whistle.Errorf(whistle.EInvalid, "角色 role 无效：%q（可选 %s）", "invalid role %q (one of %s)", req.Role, strings.Join(roleNames(), ", "))
		}
		var u store.User
		err = s.audited(c, store.Change{Action: store.ActionCreate, Kind: "user"}, func(tx *store.Store) (string, error) {
			var err error
			u, err = tx.CreateUser(ctx, store.NewUser{Username: req.Username, DisplayName: name, Role: whistle.Role(req.Role),
				OrgUnitID: req.OrgUnitID, DepartmentID: req.DepartmentID})
			return u.ID, err
		})
		return saved(c, u, err, toUserView, "user created", "new_user", u.Username, "role", u.Role, "org_unit_id", u.OrgUnitID)
	})
}

type updateUserRequest struct {
	DisplayName  *string       `json:"display_name" binding:"omitnil,max=128"`
	Active       *bool         `json:"active"`
	Role         *whistle.Role `json:"role"`
	OrgUnitID    *string       `json:"org_unit_id" binding:"omitnil,max=32"`
	DepartmentID *string       `json:"department_id" binding:"omitnil,max=40"`
}

// updateUser renames, deactivates or reactivates a user, or gives it
// another role or place. Deactivating revokes the user's tokens; an admin
// can neither deactivate nor demote themself.
func (s *Server) updateUser(c *gin.Context) {
	applyBody(c, http.StatusOK, func(ctx context.Context, req *updateUserRequest) (userView, error) {
		if req.DisplayName == nil && req.Active == nil && req.Role == nil && req.OrgUnitID == nil && req.DepartmentID == nil {
			return userView{}, nothingToChange("display_name, active, role, org_unit_id, department_id")
		}
		id := c.Param("id")
		if req.Active != nil && !*req.Active && id == caller(c).UserID {
			return userView{}, whistle.Errorf(whistle.EConflict, "不能停用自己", "you cannot deactivate yourself")
		}
		if req.Role != nil && *req.Role != whistle.RoleAdmin && id == caller(c).UserID {
			return userView{}, whistle.Errorf(whistle.EConflict, "不能改变自己的管理员角色", "you cannot take away your own admin role")
		}
		name, err := editedText("display_name", req.DisplayName)
		if err != nil {
			return userView{}, err
		}
		var u store.User
		err = s.audited(c, store.Change{Action: store.ActionUpdate, Kind: "user", ObjectID: id}, func(tx *store.Store) (string, error) {
			var err error
			u, err = tx.UpdateUser(ctx, id, store.UserChange{DisplayName: name, Active: req.Active, Role: req.Role, OrgUnitID: req.OrgUnitID, DepartmentID: req.DepartmentID})
			return "", err
		})
		return saved(c, u, err, toUserView, "user updated", "target_user", u.Username, "active", u.Active)
	})
}

// tokenView is a token without its secret.
type tokenView struct {
	ID         string     `json:"id"`
	UserID     string     `json:"user_id"`
	Name       string     `json:"name"`
	ExpiresAt  time.Time  `json:"expires_at"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	// Valid is true while the token is neither revoked nor expired.
	Valid bool `json:"valid"`
	// Token is the secret, present only in the answer that issued it.
	Token string `json:"token,omitempty"`
}

func toTokenView(t store.APIToken) tokenView {
	return tokenView{ID: t.ID, UserID: t.UserID, Name: t.Name, ExpiresAt: t.ExpiresAt, RevokedAt: t.RevokedAt, LastUsedAt: t.LastUsedAt,
		CreatedAt: t.CreatedAt, Valid: t.RevokedAt == nil && time.Now().Before(t.ExpiresAt)}
}

func (s *Server) listTokens(c *gin.Context) {
	rows, err := s.Store.UserTokens(c.Request.Context(), c.Param("id"))
	answerAll(c, rows, err, toTokenView)
}

type issueTokenRequest struct {
	Name string `json:"name" binding:"required,max=64"`
	// TTL is how long the token lives: "12h", "30d" (wall clock; default 30d, at most 365d).
	TTL string `json:"ttl" binding:"max=16"`
}

// maxTokenTTL caps how long an issued token lives.
const maxTokenTTL = 365 * 24 * time.Hour

func (s *Server) issueToken(c *gin.Context) {
	applyBody(c, http.StatusCreated, func(ctx context.Context, req *issueTokenRequest) (tokenView, error) {
		name, err := requiredText("name", req.Name)
		if err != nil {
			return tokenView{}, err
		}
		ttl := store.DefaultTokenTTL
		if req.TTL != "" {
			sp, err := worktime.ParseSpan(req.TTL)
			ttl = time.Duration(sp.Days)*24*time.Hour + sp.Clock
			if err != nil || ttl <= 0 || ttl > maxTokenTTL {
				return tokenView{}, whistle.Errorf(whistle.EInvalid, "ttl 无效：%q（例如 12h、30d，至多 365d）", "invalid ttl %q (e.g. 12h, 30d; at most 365d)", req.TTL)
			}
		}
		var row store.APIToken
		var token string
		err = s.audited(c, store.Change{Action: store.ActionCreate, Kind: "api_token"}, func(tx *store.Store) (string, error) {
			var err error
			row, token, err = tx.IssueUserToken(ctx, c.Param("id"), name, ttl)
			return row.ID, err
		})
		v, err := saved(c, row, err, toTokenView, "token issued", "target_user_id", row.UserID, "token_id", row.ID, "expires_at", row.ExpiresAt)
		v.Token = token
		return v, err
	})
}

func (s *Server) revokeToken(c *gin.Context) {
	var row store.APIToken
	err := s.audited(c, store.Change{Action: store.ActionRevoke, Kind: "api_token", ObjectID: c.Param("token_id")}, func(tx *store.Store) (string, error) {
		var err error
		row, err = tx.RevokeUserToken(c.Request.Context(), c.Param("id"), c.Param("token_id"))
		return "", err
	})
	noContent(c, err, "token revoked", "target_user_id", row.UserID, "token_id", row.ID)
}
