// Package api serves Shaobao's JSON API under /api/v1 with gin: bearer
// tokens, the error envelope, casbin decisions plus jurisdiction scoping,
// and the human actions of the whistle workflow as Temporal Updates.
package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"

	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/web"
	"github.com/shaobao/shaobao/whistle"
)

// Server holds what the handlers need.
type Server struct {
	Store    *store.Store
	Temporal client.Client
	// Namespace is the Temporal namespace the cases run in, whose search
	// attributes /readyz and filing check (default "default").
	Namespace string
	Policy    *policy.Policy
	Logger    *slog.Logger
	// MaxBodyBytes caps a request body (default 1 MiB).
	MaxBodyBytes int64
	// RequestTimeout caps a request's handling (default 30 s).
	RequestTimeout time.Duration
	// Registry receives the HTTP metrics (default: a new registry).
	Registry *prometheus.Registry
	// MetricsToken, when set, is the bearer token /metrics requires.
	MetricsToken string
	// MetricsOff leaves /metrics out of Handler (404): MetricsHandler
	// serves them on their own address, or nobody does.
	MetricsOff bool
	// IdempotencyTTL is how long an Idempotency-Key is remembered
	// (default 24 h); older keys are forgotten and swept.
	IdempotencyTTL time.Duration
	// CityBounds is the box a filed point must lie in (default
	// whistle.BeijingBounds): a point outside is refused with 400.
	CityBounds whistle.Bounds
	// Secrets seals the outside channels' secrets (admin_channels.go);
	// nil refuses a channel that has any.
	Secrets *store.Sealer
	// OIDC configures single sign-on (oidc.go); Issuer "" turns it off.
	OIDC OIDCConfig
	oidc *oidcClient
	// SecureCookies marks the session cookies Secure even on plain HTTP
	// (TLS ends at a proxy: --public-url is https).
	SecureCookies bool
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client (for the per-address sign-in backoff and the logs); none
	// by default, so a client cannot pick its own address.
	TrustedProxies []string
	// Sessions is how long sign-in sessions live and how failures back
	// off (default store.DefaultSessionPolicy).
	Sessions store.SessionPolicy
	// Map is the map page's base tiles (map.go).
	Map MapConfig
	// Blob keeps the uploaded photos (files.go); nil answers 503 there.
	Blob store.Blob
	// UploadQuota is what one user may upload in 24 hours (default
	// DefaultUploadQuota).
	UploadQuota UploadQuota
	// PublicURL is the server's own address: an Open311 media_url under
	// it naming an upload attaches that file as the case's photo.
	PublicURL string

	metrics   *httpMetrics
	idemSwept atomic.Int64 // unix nanoseconds of the last sweep of expired keys
	engine    *gin.Engine  // the last Handler built, for Routes
	nsCheck   namespaceCheck
	geoIdx    geoCache // the polygons' index (map.go)
}

type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// Handler builds the HTTP handler with every route.
func (s *Server) Handler() http.Handler {
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	if s.MaxBodyBytes == 0 {
		s.MaxBodyBytes = 1 << 20
	}
	if s.RequestTimeout == 0 {
		s.RequestTimeout = 30 * time.Second
	}
	if s.IdempotencyTTL == 0 {
		s.IdempotencyTTL = DefaultIdempotencyTTL
	}
	if s.Registry == nil {
		s.Registry = prometheus.NewRegistry()
		s.Registry.MustRegister(prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	}
	s.metrics = &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "shaobao_http_requests_total", Help: "HTTP requests by route and status."}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "shaobao_http_request_duration_seconds", Help: "HTTP request latency by route.", Buckets: prometheus.DefBuckets}, []string{"method", "route"}),
	}
	s.Registry.MustRegister(s.metrics.requests, s.metrics.duration)

	setupValidator()
	gin.SetMode(gin.ReleaseMode)
	gin.DefaultWriter = slogWriter{s.Logger}
	r := gin.New()
	if err := r.SetTrustedProxies(s.TrustedProxies); err != nil {
		s.Logger.Error("trusted proxies refused; trusting none", "err", err)
		_ = r.SetTrustedProxies(nil)
	}
	r.HandleMethodNotAllowed = true
	r.ContextWithFallback = true
	r.Use(s.requestIDs(), recovery(), secureHeaders(), s.observe(), s.limits(), textGuard())
	r.NoRoute(func(c *gin.Context) {
		fail(c, whistle.Errorf(whistle.ENotFound, "没有这个地址：%s", "no such route: %s", c.Request.URL.Path))
	})
	r.NoMethod(func(c *gin.Context) {
		c.AbortWithStatusJSON(http.StatusMethodNotAllowed, envelope{Error: envelopeError{Code: "method_not_allowed",
			Message: pick(c, "不支持的请求方法："+c.Request.Method, "method not allowed: "+c.Request.Method), RequestID: requestID(c)}})
	})

	// The pages: one embedded single-page app and its assets.
	// The page's CSP lets it load the configured tiles, and nothing else from outside.
	pages := gin.WrapH(web.Handler(web.TileSource(s.Map.TileURL)))
	for _, p := range []string{"/", "/index.html", "/app", "/app/*path", "/assets/*path"} {
		r.GET(p, pages)
		r.HEAD(p, pages)
	}

	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", s.ready)
	if !s.MetricsOff {
		r.GET("/metrics", s.metricsRoute())
	}
	r.GET("/api/v1/openapi.json", s.openAPIDocument)

	// Sign-in (auth.go): the password opens a cookie session.
	r.POST("/api/v1/auth/login", s.login)
	// Single sign-on (oidc.go): the provider's redirects carry no token.
	if s.OIDC.Issuer != "" {
		s.oidc = &oidcClient{cfg: s.OIDC}
	}
	r.GET("/api/v1/auth/config", s.authConfig)
	r.GET("/api/v1/auth/oidc/start", s.oidcStart)
	r.GET("/api/v1/auth/oidc/callback", s.oidcCallback)
	v1 := r.Group("/api/v1", s.authenticate(), s.idempotency())
	v1.GET("/me", s.me)
	v1.POST("/auth/logout", s.logout)
	v1.GET("/auth/session", s.session)
	v1.POST("/auth/password", s.changePassword)
	v1.GET("/departments", s.listDepartments)
	v1.GET("/catalogue", s.listCatalogue)
	v1.GET("/org-units", s.listUnitsBelow) // where a command centre may dispatch (org_units.go)
	v1.POST("/cases", s.fileCase)
	v1.GET("/cases", s.listCases)
	v1.GET("/cases/nearby", s.nearbyCases) // a static segment beside :id: gin matches it first
	v1.GET("/cases/:id", s.getCase)
	v1.POST("/cases/:id/whistle", s.whistleMore)
	v1.POST("/cases/:id/escalate", s.escalate)
	v1.POST("/cases/:id/verify", s.verify)
	v1.POST("/cases/:id/evaluations", s.evaluate)
	v1.POST("/cases/:id/callback", s.callback)
	v1.POST("/cases/:id/extensions", s.answerExtension)
	// The acceptance queue (intake.go).
	v1.GET("/intake", s.listIntake)
	v1.POST("/cases/:id/accept", s.accept)
	v1.POST("/cases/:id/reject", s.reject)
	v1.POST("/cases/:id/merge", s.merge)
	// Both directions and the exceptions of a joint case (twoway.go).
	v1.POST("/cases/:id/dispatch", s.dispatch)
	v1.POST("/cases/:id/recall", s.recall)
	v1.POST("/cases/:id/escalation/answer", s.answerEscalation)
	v1.POST("/cases/:id/returns/:task_id/answer", s.answerReturn)
	v1.POST("/cases/:id/tasks/:task_id/drop", s.drop)
	v1.POST("/cases/:id/tasks/:task_id/lead", s.setLead)
	v1.POST("/cases/:id/unresolvable", s.applyUnresolvable)
	v1.POST("/cases/:id/unresolvable/answer", s.answerUnresolvable)
	v1.POST("/tasks/:id/release", s.release)
	v1.GET("/tasks", s.listTasks)
	v1.POST("/tasks/:id/report", s.reportTask)
	v1.POST("/tasks/:id/feedback", s.feedback)
	v1.POST("/tasks/:id/return", s.returnTask)
	v1.POST("/tasks/:id/extension", s.requestExtension)
	// Follow-up: 催办, 督办 and the to-do list (followup.go).
	v1.POST("/tasks/:id/urge", s.urge)
	v1.POST("/cases/:id/supervision-orders", s.issueSupervisionOrder)
	v1.POST("/supervision-orders/:id/answer", s.answerSupervisionOrder)
	v1.GET("/todo", s.todo)
	// Uploaded photos (files.go).
	v1.POST("/files", s.upload)
	v1.GET("/files/:id", s.getFile)
	v1.GET("/files/:id/thumbnail", s.getThumbnail)
	s.supervisionRoutes(v1)
	s.appealRoutes(v1)  // appeals, periodic evaluation (appeals.go)
	s.leadersRoutes(v1) // statistics, recurring problems, the ledger (leaders.go)

	admin := v1.Group("/admin", s.requireAdmin())
	admin.GET("/sla-policies", s.listSLAPolicies)
	admin.PUT("/sla-policies/:class", s.putSLAPolicy)
	admin.DELETE("/sla-policies/:class", s.deleteSLAPolicy)
	admin.GET("/intake-settings", s.listIntakeSettings)
	admin.PUT("/intake-settings/:source", s.putIntakeSetting)
	admin.GET("/escalation-review/:level", s.getEscalationReview)
	admin.PUT("/escalation-review/:level", s.putEscalationReview)
	admin.GET("/org-units", s.listOrgUnits)
	admin.POST("/org-units", s.createOrgUnit)
	admin.PATCH("/org-units/:id", s.renameOrgUnit)
	admin.DELETE("/org-units/:id", s.deleteOrgUnit)
	admin.GET("/departments", s.adminListDepartments)
	admin.POST("/departments", s.createDepartment)
	admin.PATCH("/departments/:id", s.updateDepartment)
	admin.GET("/users", s.listUsers)
	admin.POST("/users", s.createUser)
	admin.PATCH("/users/:id", s.updateUser)
	admin.GET("/users/:id/tokens", s.listTokens)
	admin.POST("/users/:id/tokens", s.issueToken)
	admin.DELETE("/users/:id/tokens/:token_id", s.revokeToken)
	admin.POST("/users/:id/reset-password", s.resetPassword)
	admin.POST("/users/:id/unlock", s.unlockUser)
	admin.GET("/tokens", s.listAllTokens)
	admin.POST("/tokens", s.createToken)
	admin.DELETE("/tokens/:id", s.deleteToken)
	admin.GET("/audit", s.listAudit)
	admin.GET("/catalogue", s.adminListCatalogue)
	admin.POST("/catalogue", s.createCatalogueItem)
	admin.PATCH("/catalogue/:id", s.updateCatalogueItem)
	admin.GET("/calendar", s.listCalendar)
	admin.PUT("/calendar", s.putCalendar)
	admin.PUT("/calendar/:date", s.putCalendarDay)
	admin.DELETE("/calendar/:date", s.deleteCalendarDay)
	admin.GET("/policy-rules", s.listPolicyRules)
	admin.POST("/policy-rules", s.addPolicyRule)
	admin.DELETE("/policy-rules/:id", s.removePolicyRule)

	// Open311 GeoReport v2 (open311.go): reads are public, filing needs an api_key.
	o311 := r.Group("/open311/v2")
	o311.GET("/services.json", s.open311Services)
	o311.GET("/services/:service_code", s.open311ServiceDefinition)
	o311.GET("/requests.json", s.open311Requests)
	o311.POST("/requests.json", s.open311File)
	o311.GET("/requests/:service_request_id", s.open311Request)
	o311.GET("/tokens/:token", s.open311Token)
	// The spec's XML format and service discovery (open311.go); the
	// ":param" routes above serve both "….json" and "….xml".
	o311.GET("/services.xml", s.open311Services)
	o311.GET("/requests.xml", s.open311Requests)
	o311.POST("/requests.xml", s.open311File)
	r.GET("/open311/discovery.json", s.open311Discovery)
	r.GET("/open311/discovery.xml", s.open311Discovery)
	admin.GET("/open311-clients", s.listOpen311Clients)
	admin.POST("/open311-clients", s.createOpen311Client)
	admin.DELETE("/open311-clients/:id", s.revokeOpen311Client)
	// 12345 hotline tickets (hotline.go): the webhook and the result are
	// signed by the hotline system, not bearer tokens (the result also
	// takes staff tokens); the import is staff's.
	r.POST("/api/v1/intake/hotline", s.hotlineWebhook)
	r.GET("/api/v1/intake/hotline/:ticket_no", s.hotlineTicketResult)
	v1.POST("/intake/hotline/import", s.hotlineImport)
	admin.GET("/hotline-systems", s.listHotlineSystems)
	admin.POST("/hotline-systems", s.createHotlineSystem)
	s.notificationRoutes(v1, admin) // notifications.go, admin_channels.go
	// The map, 一张图 (map.go) and its polygons (admin_geo.go).
	v1.GET("/map/config", s.mapConfig)
	v1.GET("/map/locate", s.mapLocate)
	v1.GET("/map/cases", s.mapCases)
	v1.GET("/map/grids", s.mapGrids)
	admin.POST("/geo/import", s.importGeo)
	s.engine = r
	return r
}

func (s *Server) observe() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		s.metrics.requests.WithLabelValues(c.Request.Method, route, strconv.Itoa(c.Writer.Status())).Inc()
		s.metrics.duration.WithLabelValues(c.Request.Method, route).Observe(time.Since(start).Seconds())
	}
}

// ready answers 200 only when the database and Temporal both answer and
// the namespace has the cases' search attributes (checked at most every
// namespaceCheckTTL), so no case is filed where it could never run.
func (s *Server) ready(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	defer cancel()
	checks := gin.H{}
	ok := true
	if err := s.Store.Ping(ctx); err != nil {
		checks["database"] = err.Error()
		ok = false
	} else {
		checks["database"] = "ok"
	}
	if s.Temporal == nil {
		checks["temporal"] = "not configured"
		ok = false
	} else if _, err := s.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		checks["temporal"] = err.Error()
		ok = false
	} else {
		checks["temporal"] = "ok"
		if err := s.checkNamespace(ctx); err != nil {
			checks["search_attributes"] = err.Error()
			ok = false
		} else {
			checks["search_attributes"] = "ok"
		}
	}
	if !ok {
		c.AbortWithStatusJSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable", "checks": checks,
			"error": envelopeError{Code: "unavailable", Message: pick(c, "服务未就绪", "not ready"), RequestID: requestID(c)}})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready", "checks": checks})
}

// meView is the caller as GET /api/v1/me shows them.
type meView struct {
	ID          string       `json:"id"`
	Username    string       `json:"username"`
	DisplayName string       `json:"display_name"`
	Role        whistle.Role `json:"role"`
	OrgUnit     orgUnitView  `json:"org_unit"`
	Department  *deptView    `json:"department,omitempty"`
	Level       string       `json:"level"`
}

type orgUnitView struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	NameEN string `json:"name_en,omitempty"`
	Kind   string `json:"kind"`
	Path   string `json:"path"`
}

type deptView struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	NameEN    string `json:"name_en,omitempty"`
	Kind      string `json:"kind"`
	OrgUnitID string `json:"org_unit_id"`
	ParentID  string `json:"parent_id,omitempty"`
}

func toDeptView(d store.Department) deptView {
	v := deptView{ID: d.ID, Name: d.Name, NameEN: d.NameEN, Kind: d.Kind, OrgUnitID: d.OrgUnitID}
	if d.ParentID != nil {
		v.ParentID = *d.ParentID
	}
	return v
}

func (s *Server) me(c *gin.Context) {
	u := caller(c)
	ctx := c.Request.Context()
	unit, err := s.Store.OrgUnit(ctx, u.OrgUnitID)
	if err != nil {
		fail(c, fmt.Errorf("org unit of user %s: %w", u.Username, err))
		return
	}
	v := meView{ID: u.UserID, Username: u.Username, DisplayName: callerName(c), Role: u.Role,
		OrgUnit: orgUnitView{ID: unit.ID, Name: unit.Name, NameEN: unit.NameEN, Kind: unit.Kind, Path: unit.Path},
		Level:   string(whistle.LevelOf(whistle.OrgKind(unit.Kind)))}
	if u.DepartmentID != "" {
		d, err := s.Store.Department(ctx, u.DepartmentID)
		if err != nil {
			fail(c, fmt.Errorf("department of user %s: %w", u.Username, err))
			return
		}
		dv := toDeptView(d)
		v.Department = &dv
	}
	c.JSON(http.StatusOK, v)
}
