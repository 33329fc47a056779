package api

import (
	"crypto/subtle"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/shaobao/shaobao/whistle"
)

// metricsRoute serves the Prometheus metrics on the main address, behind
// MetricsToken when one is set.
func (s *Server) metricsRoute() gin.HandlerFunc {
	h := promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{})
	return func(c *gin.Context) {
		if !metricsAllowed(c.Request, s.MetricsToken) {
			c.Header("WWW-Authenticate", `Bearer realm="shaobao-metrics"`)
			fail(c, whistle.Errorf(whistle.EUnauthorized, "指标需要令牌：Authorization: Bearer <metrics-token>", "metrics require a token: Authorization: Bearer <metrics-token>"))
			return
		}
		h.ServeHTTP(c.Writer, c.Request)
	}
}

// MetricsHandler serves /metrics alone from reg, for a listener of its
// own, behind token when one is set.
func MetricsHandler(reg *prometheus.Registry, token string) http.Handler {
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "no-store")
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		if !metricsAllowed(r, token) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="shaobao-metrics"`)
			http.Error(w, "metrics require a token: Authorization: Bearer <metrics-token>", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func metricsAllowed(r *http.Request, token string) bool {
	if token == "" {
		return true
	}
	got, ok := bearerToken(r.Header.Get("Authorization"))
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(token)) == 1
}
