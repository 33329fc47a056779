package policy

import (
	"slices"
	"strings"

	"github.com/shaobao/shaobao/whistle"
)

// A relation decides whether a subject (the acting whistle.Actor) stands
// in the right place of the org tree (or the right department) for an
// object, and says where it can hold at all. Rule rows name relations;
// the matcher calls orgRel(p.rel, r.sub, r.obj), which runs holds;
// Policy.Scope returns the reach of the rule that allowed.
type relation struct {
	holds func(sub *whistle.Actor, obj *Object) bool
	// reach is every object the relation can hold for sub: the subtree
	// of the unit it is seen from, the subject's department, or the whole
	// city; the zero Scope where it holds for nothing.
	reach func(sub *whistle.Actor) Scope
}

// unitRelation is a relation seen from the command unit the subject acts
// for: its own org unit, or for the "grid_" variants the unit above it (a
// grid worker acts for its grid's community).
type unitRelation func(unit whistle.OrgPath, obj *Object) bool

// unitRelations are the tree relations, each also registered with a "grid_"
// prefix that acts from the parent of the subject's unit.
var unitRelations = map[string]unitRelation{
	// holder: the subject's unit is the unit now holding the case.
	"holder": func(unit whistle.OrgPath, obj *Object) bool {
		return unit == whistle.OrgPath(obj.HolderOrgPath)
	},
	// file: the subject's unit will hold the case, and the case is filed
	// inside it (an empty OrgPath means "filed at the holding unit").
	"file": func(unit whistle.OrgPath, obj *Object) bool {
		if unit != whistle.OrgPath(obj.HolderOrgPath) {
			return false
		}
		return obj.OrgPath == "" || whistle.OrgPath(obj.OrgPath).Within(unit)
	},
	// summon: the subject's unit holds the case and the department sits at
	// that unit or at the unit directly above it.
	"summon": func(unit whistle.OrgPath, obj *Object) bool {
		dept := whistle.OrgPath(obj.DepartmentOrgPath)
		if unit != whistle.OrgPath(obj.HolderOrgPath) || !dept.Valid() {
			return false
		}
		return dept == unit || dept == unit.Parent()
	},
	// command_summon: the subject's unit holds the case and the department
	// sits strictly below it, inside its jurisdiction: a command centre
	// whistles the levels below it (a district its streets' squads).
	"command_summon": func(unit whistle.OrgPath, obj *Object) bool {
		dept := whistle.OrgPath(obj.DepartmentOrgPath)
		return unit == whistle.OrgPath(obj.HolderOrgPath) && dept != unit && dept.Within(unit)
	},
	// chain: the subject's unit lies on the tree path between the case's
	// origin and its holder: ancestor-or-self of one of them, inside their
	// nearest common ancestor. Escalated up, that is the origin's
	// ancestors up to the holder; dispatched down, the holder's up to the
	// origin (a district that files and dispatches to a street verifies).
	"chain": func(unit whistle.OrgPath, obj *Object) bool {
		origin, holder := whistle.OrgPath(obj.OrgPath), whistle.OrgPath(obj.HolderOrgPath)
		if !origin.Valid() || !holder.Valid() {
			return false
		}
		return (origin.Within(unit) || holder.Within(unit)) && unit.Within(commonAncestor(origin, holder))
	},
	// jurisdiction: the case was filed in, or is held in, the subject's subtree.
	"jurisdiction": func(unit whistle.OrgPath, obj *Object) bool {
		return whistle.OrgPath(obj.OrgPath).Within(unit) || whistle.OrgPath(obj.HolderOrgPath).Within(unit)
	},
	// scope: an unfiltered view (SQL scopes it to the reach, see
	// Policy.Scope) or a view of a unit inside the subject's subtree.
	"scope": func(unit whistle.OrgPath, obj *Object) bool {
		return obj.OrgPath == "" || whistle.OrgPath(obj.OrgPath).Within(unit)
	},
}

// commonAncestor is the deepest unit both paths lie in ("" when they
// share none).
func commonAncestor(a, b whistle.OrgPath) whistle.OrgPath {
	x, y := a.Units(), b.Units()
	n := 0
	for n < len(x) && n < len(y) && x[n] == y[n] {
		n++
	}
	if n == 0 {
		return ""
	}
	return whistle.OrgPath("/" + strings.Join(x[:n], "/") + "/")
}

// gridPrefix marks a relation evaluated from the parent of the subject's unit.
const gridPrefix = "grid_"

// relations is every relation a rule may name.
var relations = buildRelations()

func buildRelations() map[string]relation {
	city := func(*whistle.Actor) Scope { return Scope{Path: "/"} }
	department := func(sub *whistle.Actor) Scope { return Scope{DepartmentID: sub.DepartmentID} }
	rs := map[string]relation{
		// anywhere: always holds (the admin's rules).
		"anywhere": {holds: func(*whistle.Actor, *Object) bool { return true }, reach: city},
		// own_department: the task (or inbox) is the subject's department's.
		"own_department": {holds: func(sub *whistle.Actor, obj *Object) bool {
			return sub.DepartmentID != "" && sub.DepartmentID == obj.DepartmentID
		}, reach: department},
		// task_department: the subject's department has a task on the case.
		"task_department": {holds: func(sub *whistle.Actor, obj *Object) bool {
			return sub.DepartmentID != "" && slices.Contains(obj.TaskDepartmentIDs, sub.DepartmentID)
		}, reach: department},
		// stationed_unit: the inbox is of a unit stationed under the
		// subject's department (a district bureau's street stations).
		"stationed_unit": {holds: func(sub *whistle.Actor, obj *Object) bool {
			return sub.DepartmentID != "" && obj.DepartmentID != "" && obj.DepartmentParentID == sub.DepartmentID
		}, reach: department},
	}
	for name, rel := range unitRelations {
		rs[name] = relation{
			holds: func(sub *whistle.Actor, obj *Object) bool {
				return sub.OrgPath.Valid() && rel(sub.OrgPath, obj)
			},
			reach: func(sub *whistle.Actor) Scope { return subtree(sub.OrgPath) },
		}
		rs[gridPrefix+name] = relation{
			holds: func(sub *whistle.Actor, obj *Object) bool {
				unit := sub.OrgPath.Parent()
				return unit != "" && rel(unit, obj)
			},
			reach: func(sub *whistle.Actor) Scope { return subtree(sub.OrgPath.Parent()) },
		}
	}
	return rs
}

// knownRelation reports whether a rule may name the relation.
func knownRelation(name string) bool {
	_, ok := relations[name]
	return ok
}

// Relations lists the relation names a rule may use, sorted.
func Relations() []string {
	names := make([]string, 0, len(relations))
	for name := range relations {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// orgRel is the matcher function: orgRel(p.rel, r.sub, r.obj). An unknown
// relation or malformed arguments never match.
func orgRel(args ...any) (any, error) {
	if len(args) != 3 {
		return false, nil
	}
	name, _ := args[0].(string)
	sub, _ := args[1].(*whistle.Actor)
	obj, _ := args[2].(*Object)
	rel, ok := relations[name]
	if !ok || sub == nil || obj == nil {
		return false, nil
	}
	return rel.holds(sub, obj), nil
}

// ActingUnit returns the org path of the command unit the subject files
// cases at and acts for: a grid worker's community (the grid's parent; a
// grid is no command level), anyone else's own unit; "" for a malformed
// path. For FileCase the API passes it as Object.HolderOrgPath.
func ActingUnit(sub whistle.Actor) string {
	if sub.Role == whistle.RoleGridWorker {
		return string(sub.OrgPath.Parent())
	}
	if sub.OrgPath.Valid() {
		return string(sub.OrgPath)
	}
	return ""
}
