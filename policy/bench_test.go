package policy

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shaobao/shaobao/whistle"
)

// cityModel is Beijing's grid system as paths, in memory: 16 districts, 333
// streets and townships, 7,000 communities and villages, 36,500 grids, the
// departments stationed at the city, districts and streets, and users.
type cityModel struct {
	root                                  string
	districts, streets, communities, grid []string
	children                              map[string][]string
	depts                                 map[string][]string // unit → department ids
	deptPath                              map[string]string   // department id → unit
	allDepts                              []string
	users                                 []whistle.Actor
}

func buildCity(nUsers int) *cityModel {
	c := &cityModel{root: "/110000/", children: map[string][]string{}, depts: map[string][]string{}, deptPath: map[string]string{}}
	add := func(parent string, n int) []string {
		var out []string
		for i := range n {
			out = append(out, fmt.Sprintf("%s%s%03d/", parent, lastSegment(parent), i+1))
		}
		return out
	}
	c.districts = add(c.root, 16)
	c.children[c.root] = c.districts
	spread := func(parents []string, total int) []string {
		counts := make([]int, len(parents))
		for i := range total {
			counts[i%len(parents)]++
		}
		var all []string
		for i, p := range parents {
			kids := add(p, counts[i])
			c.children[p] = kids
			all = append(all, kids...)
		}
		return all
	}
	c.streets = spread(c.districts, 333)
	c.communities = spread(c.streets, 7000)
	c.grid = spread(c.communities, 36500)
	station := func(unit string, n int) {
		for i := range n {
			id := fmt.Sprintf("dept-%s-%d", lastSegment(unit), i)
			c.depts[unit] = append(c.depts[unit], id)
			c.deptPath[id] = unit
			c.allDepts = append(c.allDepts, id)
		}
	}
	station(c.root, 40)
	for _, d := range c.districts {
		station(d, 20)
	}
	for _, s := range c.streets {
		station(s, 6)
	}

	r := rand.New(rand.NewPCG(1, 2))
	u := func(role whistle.Role, path string) {
		c.users = append(c.users, whistle.Actor{UserID: fmt.Sprint(len(c.users)), Username: fmt.Sprint("u", len(c.users)), Role: role, OrgPath: whistle.OrgPath(path)})
	}
	u(whistle.RoleAdmin, c.root)
	u(whistle.RoleCommander, c.root)
	for _, d := range c.districts {
		u(whistle.RoleCommander, d)
		for range 5 {
			u(whistle.RoleSupervisor, d)
		}
	}
	for _, s := range c.streets {
		u(whistle.RoleCommander, s)
		u(whistle.RoleStreetSecretary, s)
	}
	for _, cm := range c.communities {
		u(whistle.RoleCommunitySecretary, cm)
	}
	for _, id := range c.allDepts {
		for range 5 {
			u(whistle.RoleClerk, c.deptPath[id])
			c.users[len(c.users)-1].DepartmentID = id
		}
	}
	for len(c.users) < nUsers {
		u(whistle.RoleGridWorker, c.grid[r.IntN(len(c.grid))])
	}
	return c
}

// lastSegment is the id at the end of a path: "110101" for "/110000/110101/".
func lastSegment(path string) string {
	t := strings.TrimSuffix(path, "/")
	return t[strings.LastIndexByte(t, '/')+1:]
}

type request struct {
	sub whistle.Actor
	act Action
	obj Object
}

// naturalActions are what each role mostly does.
var naturalActions = map[whistle.Role][]Action{
	whistle.RoleAdmin:              {Admin, ReadCase, Supervise},
	whistle.RoleCommander:          {ReadCase, Summon, Escalate, AnswerExtension, Verify, Evaluate, Supervise, FileCase},
	whistle.RoleStreetSecretary:    {ReadCase, Summon, Escalate, AnswerExtension, Verify, Evaluate, FileCase},
	whistle.RoleCommunitySecretary: {ReadCase, Summon, Escalate, Verify, Evaluate, FileCase},
	whistle.RoleGridWorker:         {FileCase, ReadCase, Summon},
	whistle.RoleClerk:              {ReadInbox, ReadCase, ReportTask, Feedback, ReturnTask, RequestExtension},
	whistle.RoleSupervisor:         {Supervise, ReadCase},
}

// requests draws n realistic requests of the users in pop: mostly the role's own
// actions on cases near the user (inside and just outside jurisdiction),
// some on any case of the city, some of any action.
func (c *cityModel) requests(pop []whistle.Actor, n int) []request {
	r := rand.New(rand.NewPCG(3, 4))
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	below := func(unit string) string { // a random community in unit's subtree
		for strings.Count(unit, "/") < 5 && len(c.children[unit]) > 0 {
			unit = pick(c.children[unit])
		}
		return unit
	}
	out := make([]request, n)
	for i := range out {
		sub := pop[r.IntN(len(pop))]
		acts := naturalActions[sub.Role]
		act := acts[r.IntN(len(acts))]
		if r.IntN(4) == 0 {
			act = Actions[r.IntN(len(Actions))]
		}
		// The case: near the user two times in three, anywhere otherwise.
		home := string(sub.OrgPath)
		if sub.Role == whistle.RoleGridWorker {
			home = parentPath(home)
		}
		if r.IntN(3) == 0 || !validPath(home) {
			home = c.root
		}
		if r.IntN(4) == 0 && parentPath(home) != "" {
			home = parentPath(home) // a sibling's case
		}
		origin := below(home)
		holder := origin
		for range 3 {
			if r.IntN(4) == 0 && parentPath(holder) != "" {
				holder = parentPath(holder) // escalated
			}
		}
		if r.IntN(2) == 0 && len(c.children[origin]) > 0 {
			origin = pick(c.children[origin]) // filed in a grid
		}
		obj := Object{OrgPath: origin, HolderOrgPath: holder}
		switch act {
		case FileCase:
			obj.HolderOrgPath = home
		case Summon:
			unit := holder
			if r.IntN(2) == 0 && parentPath(unit) != "" {
				unit = parentPath(unit)
			}
			if r.IntN(4) == 0 || len(c.depts[unit]) == 0 {
				unit = c.deptPath[pick(c.allDepts)]
			}
			obj.DepartmentID = pick(c.depts[unit])
			obj.DepartmentOrgPath = unit
		case ReadCase:
			for range 1 + r.IntN(3) {
				obj.TaskDepartmentIDs = append(obj.TaskDepartmentIDs, pick(c.allDepts))
			}
			if sub.DepartmentID != "" && r.IntN(2) == 0 {
				obj.TaskDepartmentIDs = append(obj.TaskDepartmentIDs, sub.DepartmentID)
			}
		case ReportTask, Feedback, ReturnTask, RequestExtension, ReadInbox:
			obj.DepartmentID = pick(c.allDepts)
			if sub.DepartmentID != "" && r.IntN(3) > 0 {
				obj.DepartmentID = sub.DepartmentID
			}
		case Supervise:
			if r.IntN(2) == 0 {
				obj = Object{OrgPath: below(c.root)}
			} else {
				obj = Object{}
			}
		}
		out[i] = request{sub, act, obj}
	}
	return out
}

var beijing = sync.OnceValue(func() *cityModel { return buildCity(200_000) })

// latency is the distribution of single decisions over a request set.
type latency struct {
	p50, p99, p999 time.Duration
	allowed        float64
}

func measure(p *Policy, reqs []request) latency {
	ds := make([]time.Duration, len(reqs))
	allowed := 0
	for i, q := range reqs {
		start := time.Now()
		err := p.Authorize(q.sub, q.act, q.obj)
		ds[i] = time.Since(start)
		if err == nil {
			allowed++
		}
	}
	slices.Sort(ds)
	at := func(q float64) time.Duration { return ds[int(q*float64(len(ds)-1))] }
	return latency{at(0.50), at(0.99), at(0.999), 100 * float64(allowed) / float64(len(reqs))}
}

// BenchmarkAuthorize decides realistic requests of Beijing's 200,000 users
// (and, for comparison, of 2,000 of them: the policy keeps no per-user
// state, so the figures should match). Besides ns/op it reports p50, p99
// and p99.9 of 100,000 individually timed decisions and the share allowed.
//
//	go test -run '^$' -bench Authorize -benchmem ./policy/
func BenchmarkAuthorize(b *testing.B) {
	city := beijing()
	p := mustNew(b, mustOpenDB(b))
	small := make([]whistle.Actor, 0, 2000)
	for i := 0; i < len(city.users); i += len(city.users) / 2000 {
		small = append(small, city.users[i])
	}
	for _, pop := range []struct {
		name  string
		users []whistle.Actor
	}{{"users=2000", small}, {"users=200000", city.users}} {
		reqs := city.requests(pop.users, 100_000)
		lat := sync.OnceValue(func() latency { measure(p, reqs); return measure(p, reqs) }) // the first pass warms up
		b.Run(pop.name, func(b *testing.B) {
			l := lat()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				q := &reqs[i%len(reqs)]
				_ = p.Authorize(q.sub, q.act, q.obj)
			}
			b.StopTimer()
			b.ReportMetric(float64(l.p50.Nanoseconds()), "p50-ns")
			b.ReportMetric(float64(l.p99.Nanoseconds()), "p99-ns")
			b.ReportMetric(float64(l.p999.Nanoseconds()), "p99.9-ns")
			b.ReportMetric(l.allowed, "%allowed")
		})
	}
}

// TestBeijingModel keeps the benchmark's city honest.
func TestBeijingModel(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 200,000 users")
	}
	c := beijing()
	if len(c.districts) != 16 || len(c.streets) != 333 || len(c.communities) != 7000 || len(c.grid) != 36500 || len(c.users) != 200_000 {
		t.Fatalf("city: %d districts, %d streets, %d communities, %d grids, %d users",
			len(c.districts), len(c.streets), len(c.communities), len(c.grid), len(c.users))
	}
	for _, g := range c.grid[:100] {
		if strings.Count(g, "/") != 6 || !validPath(g) {
			t.Fatalf("grid path %q", g)
		}
	}
}

// FuzzAuthorize: arbitrary subjects, actions and objects never panic, are
// refused by default for unknown roles and actions, and what is allowed
// keeps the promises the rest of the system relies on.
func FuzzAuthorize(f *testing.F) {
	p := mustNew(f, mustOpenDB(f))
	f.Add("community_secretary", "case:summon", c1, "", c1, c1, dept(s1), s1, "")
	f.Add("grid_worker", "case:file", g1, "", g1, c1, "", "", "")
	f.Add("street_secretary", "case:verify", s1, "", c1, d1, "", "", "")
	f.Add("commander", "supervision:read", d1, "", "", "", "", "", "")
	f.Add("clerk", "task:report", s1, dept(s1), "", "", dept(s1), "", "")
	f.Add("clerk", "case:read", s1, dept(s1), c1, s1, "", "", dept(s1))
	f.Add("supervisor", "case:read", d2, "", c1, d1, "", "", "")
	f.Add("admin", "admin:manage", city, "", "", "", "", "", "")
	f.Add("root", "admin:manage", "/", "", "/", "/", "", "", "")
	f.Add("commander", "case:delete", "//", "x", "/110000//", "110000/", "", "/", "")
	f.Add("", "", "", "", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, role, act, subPath, subDept, origin, holder, deptID, deptPath, taskDept string) {
		sub := whistle.Actor{Role: whistle.Role(role), OrgPath: whistle.OrgPath(subPath), DepartmentID: subDept}
		obj := Object{OrgPath: origin, HolderOrgPath: holder, DepartmentID: deptID, DepartmentOrgPath: deptPath}
		if taskDept != "" {
			obj.TaskDepartmentIDs = []string{taskDept}
		}
		a := Action(act)
		err := p.Authorize(sub, a, obj)
		if err != nil {
			var werr *whistle.Error
			if !errors.As(err, &werr) || werr.Code != whistle.EForbidden {
				t.Fatalf("refusal is not forbidden: %v", err)
			}
		}
		if !sub.Role.Valid() || !a.Valid() {
			if err == nil || !strings.Contains(err.Error(), DefaultDeny) {
				t.Fatalf("unknown role %q or action %q: got %v, want refusal by %s", role, act, err, DefaultDeny)
			}
			return
		}
		if err != nil || sub.Role == whistle.RoleAdmin {
			return
		}
		switch a {
		case ReadCase:
			if sub.Role == whistle.RoleClerk {
				if subDept == "" || subDept != taskDept {
					t.Fatalf("clerk of %q read a case with tasks of %q", subDept, taskDept)
				}
				break
			}
			sc, err := p.Scope(sub, ReadCase, Object{})
			prefix := string(sc.Path)
			if err != nil || prefix == "" || !(strings.HasPrefix(origin, prefix) || strings.HasPrefix(holder, prefix)) {
				t.Fatalf("read allowed outside the list's scope %+v (%v): %+v", sc, err, obj)
			}
		case Summon:
			if deptPath != holder && deptPath != parentPath(holder) {
				t.Fatalf("summoned %q on a case held at %q", deptPath, holder)
			}
		case ReportTask, Feedback, ReturnTask, RequestExtension, ReadInbox:
			if subDept == "" || subDept != deptID {
				t.Fatalf("clerk of %q acted on a task of %q", subDept, deptID)
			}
		}
	})
}
