package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/shaobao/shaobao/store"
)

// open311ClientView is an Open311 client application without its key.
type open311ClientView struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	UserID    string     `json:"user_id"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	// APIKey is the key, present only in the answer that created it.
	APIKey string `json:"api_key,omitempty"`
}

func toOpen311ClientView(cl store.Open311Client) open311ClientView {
	v := open311ClientView{ID: cl.ID, Name: cl.Name, UserID: cl.UserID, CreatedAt: cl.CreatedAt.UTC()}
	if cl.RevokedAt != nil {
		t := cl.RevokedAt.UTC()
		v.RevokedAt = &t
	}
	return v
}

func (s *Server) listOpen311Clients(c *gin.Context) {
	rows, err := s.Store.Open311Clients(c.Request.Context())
	answerAll(c, rows, err, toOpen311ClientView)
}

type createOpen311ClientRequest struct {
	Name string `json:"name" binding:"required,max=128"`
	// UserID is the user the client files as: the policy decides on that
	// user's role and place, as for any filing.
	UserID string `json:"user_id" binding:"required,max=40"`
}

// createOpen311Client issues a client application its api_key, shown in
// this answer only.
func (s *Server) createOpen311Client(c *gin.Context) {
	applyBody(c, http.StatusCreated, func(ctx context.Context, req *createOpen311ClientRequest) (open311ClientView, error) {
		name, err := requiredText("name", req.Name)
		if err != nil {
			return open311ClientView{}, err
		}
		var row store.Open311Client
		var key string
		err = s.audited(c, store.Change{Action: store.ActionCreate, Kind: "open311_client"}, func(tx *store.Store) (string, error) {
			var err error
			row, key, err = tx.CreateOpen311Client(ctx, name, req.UserID)
			return row.ID, err
		})
		v, err := saved(c, row, err, toOpen311ClientView, "open311 client created", "open311_client", row.ID, "files_as", row.UserID)
		v.APIKey = key
		return v, err
	})
}

// revokeOpen311Client revokes a client's key: its filings answer 403 from
// now on; what it filed stays.
func (s *Server) revokeOpen311Client(c *gin.Context) {
	var row store.Open311Client
	err := s.audited(c, store.Change{Action: store.ActionRevoke, Kind: "open311_client", ObjectID: c.Param("id")}, func(tx *store.Store) (string, error) {
		var err error
		row, err = tx.RevokeOpen311Client(c.Request.Context(), c.Param("id"))
		return "", err
	})
	noContent(c, err, "open311 client revoked", "open311_client", row.ID)
}
