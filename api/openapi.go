package api

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// openAPIJSON is the OpenAPI 3 document of the whole HTTP API, written by
// hand. TestOpenAPICoversEveryRoute keeps it true to the routes Handler
// registers, both ways; TestOpenAPIResponses checks real answers against
// its schemas.
//
//go:embed openapi.json
var openAPIJSON []byte

// OpenAPI returns the OpenAPI 3 document served at /api/v1/openapi.json.
func OpenAPI() []byte { return openAPIJSON }

// openAPIDocument serves the document; it needs no token, so a client
// can discover the API before signing in.
func (s *Server) openAPIDocument(c *gin.Context) {
	c.Header("Cache-Control", "no-cache")
	c.Data(http.StatusOK, "application/json; charset=utf-8", openAPIJSON)
}

// Route is one registered route: a method and a path in gin's syntax
// ("/api/v1/cases/:id").
type Route struct {
	Method, Path string
}

// Routes lists the routes of the handler the last Handler call built, or
// nil before any.
func (s *Server) Routes() []Route {
	if s.engine == nil {
		return nil
	}
	var out []Route
	for _, r := range s.engine.Routes() {
		out = append(out, Route{Method: r.Method, Path: r.Path})
	}
	return out
}
