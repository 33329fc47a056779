package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/worktime"
)

// listResponse is every paginated list: items, the total and the page.
type listResponse[T any] struct {
	Items    []T   `json:"items"`
	Total    int64 `json:"total"`
	Page     int   `json:"page"`
	PageSize int   `json:"page_size"`
}

func newList[T any](items []T, total int64, p store.Page) listResponse[T] {
	if items == nil {
		items = []T{}
	}
	return listResponse[T]{Items: items, Total: total, Page: p.Page, PageSize: p.PageSize}
}

// queryReader reads query parameters and keeps the first error, so a
// handler reads them all and checks once.
type queryReader struct {
	c   *gin.Context
	err error
}

func (q *queryReader) fail(name, value, zh, en string) {
	if q.err == nil {
		q.err = whistle.Errorf(whistle.EInvalid, "查询参数 %s 无效：%q，"+zh, "invalid query parameter %s %q: "+en, name, value)
	}
}

func (q *queryReader) int(name string, def, min, max int) int {
	v := q.c.Query(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		q.fail(name, v, "应为 "+strconv.Itoa(min)+" 到 "+strconv.Itoa(max)+" 的整数", "want an integer from "+strconv.Itoa(min)+" to "+strconv.Itoa(max))
		return def
	}
	return n
}

func (q *queryReader) bool(name string) *bool {
	v := q.c.Query(name)
	if v == "" {
		return nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		q.fail(name, v, "应为 true 或 false", "want true or false")
		return nil
	}
	return &b
}

// time accepts RFC 3339 or a date (YYYY-MM-DD, China Standard Time).
func (q *queryReader) time(name string) *time.Time {
	v := q.c.Query(name)
	if v == "" {
		return nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return &t
	}
	if t, err := time.ParseInLocation("2006-01-02", v, worktime.Location); err == nil {
		return &t
	}
	q.fail(name, v, "应为 RFC 3339 时间或 YYYY-MM-DD 日期", "want an RFC 3339 time or a YYYY-MM-DD date")
	return nil
}

func (q *queryReader) oneOf(name string, allowed ...string) string {
	v := q.c.Query(name)
	if v == "" {
		return ""
	}
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	q.fail(name, v, "可选 "+strings.Join(allowed, "、"), "one of "+strings.Join(allowed, ", "))
	return ""
}

// names lists the values of one of the domain's enumerations
// (whistle.Classes, whistle.Levels, ...) as strings.
func names[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

func (q *queryReader) text(name string, max int) string {
	v := q.c.Query(name)
	if len(v) > max {
		q.fail(name, v[:16]+"…", "过长", "too long")
		return ""
	}
	return v
}

// orgUnit loads the org unit named by query parameter name: the zero unit
// when it is absent, and a 400 naming the parameter when it is unknown.
func (q *queryReader) orgUnit(st *store.Store, name string) store.OrgUnit {
	id := q.text(name, 32)
	if id == "" || q.err != nil {
		return store.OrgUnit{}
	}
	unit, err := st.OrgUnit(q.c.Request.Context(), id)
	if err != nil {
		q.err = invalidRef(err, name, id)
	}
	return unit
}

func (q *queryReader) page() store.Page {
	return store.Page{Page: q.int("page", 1, 1, 1_000_000), PageSize: q.int("page_size", 20, 1, 200)}
}

// scope is the part of the city the caller may see in lists of cases: the
// reach of the rule that lets them read cases (a subtree, or a clerk's
// department), nothing when no rule does.
func (s *Server) scope(sub whistle.Actor) store.Scope {
	sc, err := s.Policy.Scope(sub, policy.ReadCase, policy.Object{})
	if err != nil {
		return store.Scope{}
	}
	return storeScope(sc)
}

// storeScope is a policy scope as the store filters by it.
func storeScope(sc policy.Scope) store.Scope {
	return store.Scope{PathPrefix: string(sc.Path), DepartmentID: sc.DepartmentID}
}

func (s *Server) listCases(c *gin.Context) {
	q := &queryReader{c: c}
	f := s.caseFilter(c, q) // the ledger's filters too (leaders.go)
	if q.err != nil {
		fail(c, q.err)
		return
	}
	items, total, err := s.Store.ListCases(c.Request.Context(), f)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(items, total, f.Page.Normalize()))
}

func (s *Server) listTasks(c *gin.Context) {
	sub := caller(c)
	q := &queryReader{c: c}
	status := q.oneOf("status", append([]string{"active", "all"}, store.TaskStatuses...)...)
	overdue := q.bool("overdue")
	warning := q.oneOf("warning", whistle.WarningYellow, whistle.WarningRed)
	page := q.page()
	if q.err != nil {
		fail(c, q.err)
		return
	}
	if err := s.Policy.Authorize(sub, policy.ReadInbox, policy.Object{DepartmentID: sub.DepartmentID}); err != nil {
		fail(c, err)
		return
	}
	f := store.TaskFilter{DepartmentID: sub.DepartmentID, Overdue: overdue, Warning: warning, Page: page}
	switch status {
	case "", "active":
	case "all":
		f.Status = store.AllTaskStatuses
	default:
		f.Status = []string{status}
	}
	items, total, err := s.Store.ListTasks(c.Request.Context(), f)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(items, total, page.Normalize()))
}

func (s *Server) listDepartments(c *gin.Context) {
	u := caller(c)
	ctx := c.Request.Context()
	q := &queryReader{c: c}
	whistleable := q.bool("whistleable")
	caseID := q.text("case_id", 40)
	if q.err != nil {
		fail(c, q.err)
		return
	}
	if whistleable == nil || !*whistleable {
		depts, err := s.Store.ListDepartments(ctx, store.DepartmentFilter{})
		if err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"items": views(depts, toDeptView)})
		return
	}
	// Whistleable: for a case, at its holder; otherwise where the caller
	// would file.
	var holder whistle.OrgPath
	if caseID != "" {
		kase, ok := s.caseFor(c, caseID, policy.ReadCase)
		if !ok {
			return
		}
		holder = whistle.OrgPath(kase.HolderOrgPath)
	} else {
		chain, err := s.Store.Chain(ctx, u.OrgUnitID)
		if err != nil {
			fail(c, err)
			return
		}
		holder = whistle.OrgPath(chain[0].Path)
	}
	allowed, err := s.summonableNear(ctx, u, holder)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": views(allowed, toDeptView)})
}

func (s *Server) listCatalogue(c *gin.Context) {
	items, err := s.Store.Catalogue(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": views(items, toCatalogueEntryView)})
}
