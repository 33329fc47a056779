package policy

import (
	"slices"
	"strings"

	"github.com/shaobao/shaobao/whistle"
)

// A relation decides whether a subject stands in the right place of the org
// tree (or the right department) for an object. Rule rows name relations;
// the matcher calls orgRel(p.rel, r.sub, r.obj), which runs one of these.
type relation func(sub *Subject, obj *Object) bool

// unitRelation is a relation seen from the command unit the subject acts
// for: its own org unit, or for the "grid_" variants the unit above it (a
// grid worker acts for its grid's community).
type unitRelation func(unit string, obj *Object) bool

// unitRelations are the tree relations, each also registered with a "grid_"
// prefix that acts from the parent of the subject's unit.
var unitRelations = map[string]unitRelation{
	// holder: the subject's unit is the unit now holding the case.
	"holder": func(unit string, obj *Object) bool {
		return unit == obj.HolderOrgPath
	},
	// file: the subject's unit will hold the case, and the case is filed
	// inside it (an empty OrgPath means "filed at the holding unit").
	"file": func(unit string, obj *Object) bool {
		if unit != obj.HolderOrgPath {
			return false
		}
		return obj.OrgPath == "" || within(obj.OrgPath, unit)
	},
	// summon: the subject's unit holds the case and the department sits at
	// that unit or at the unit directly above it.
	"summon": func(unit string, obj *Object) bool {
		if unit != obj.HolderOrgPath || !validPath(obj.DepartmentOrgPath) {
			return false
		}
		return obj.DepartmentOrgPath == unit || obj.DepartmentOrgPath == parentPath(unit)
	},
	// chain: the subject's unit lies between the holder and the case's
	// origin: ancestor-or-self of the origin, descendant-or-self of the holder.
	"chain": func(unit string, obj *Object) bool {
		return within(obj.OrgPath, unit) && within(unit, obj.HolderOrgPath)
	},
	// jurisdiction: the case was filed in, or is held in, the subject's subtree.
	"jurisdiction": func(unit string, obj *Object) bool {
		return within(obj.OrgPath, unit) || within(obj.HolderOrgPath, unit)
	},
	// scope: an unfiltered view (SQL scopes it to ScopePrefix) or a view of
	// a unit inside the subject's subtree.
	"scope": func(unit string, obj *Object) bool {
		return obj.OrgPath == "" || within(obj.OrgPath, unit)
	},
}

// gridPrefix marks a relation evaluated from the parent of the subject's unit.
const gridPrefix = "grid_"

// relations is every relation a rule may name.
var relations = buildRelations()

func buildRelations() map[string]relation {
	rs := map[string]relation{
		// anywhere: always holds (the admin's rules).
		"anywhere": func(*Subject, *Object) bool { return true },
		// own_department: the task (or inbox) is the subject's department's.
		"own_department": func(sub *Subject, obj *Object) bool {
			return sub.DepartmentID != "" && sub.DepartmentID == obj.DepartmentID
		},
		// task_department: the subject's department has a task on the case.
		"task_department": func(sub *Subject, obj *Object) bool {
			return sub.DepartmentID != "" && slices.Contains(obj.TaskDepartmentIDs, sub.DepartmentID)
		},
	}
	for name, rel := range unitRelations {
		rs[name] = func(sub *Subject, obj *Object) bool {
			return validPath(sub.OrgPath) && rel(sub.OrgPath, obj)
		}
		rs[gridPrefix+name] = func(sub *Subject, obj *Object) bool {
			unit := parentPath(sub.OrgPath)
			return unit != "" && rel(unit, obj)
		}
	}
	return rs
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
	sub, _ := args[1].(*Subject)
	obj, _ := args[2].(*Object)
	rel := relations[name]
	if rel == nil || sub == nil || obj == nil {
		return false, nil
	}
	return rel(sub, obj), nil
}

// validPath reports whether p looks like a materialized path of a real
// node: "/110000/" or deeper, slash-terminated, no empty segment. The bare
// "/" is not a node (it would be everyone's ancestor).
func validPath(p string) bool {
	return len(p) >= 3 && p[0] == '/' && p[len(p)-1] == '/' && !strings.Contains(p, "//")
}

// within reports whether path p is unit or inside unit's subtree. Both must
// be valid paths; paths end in "/" so "/1101/" is not inside "/110/".
func within(p, unit string) bool {
	return validPath(p) && validPath(unit) && strings.HasPrefix(p, unit)
}

// parentPath returns the path of p's parent, "" for a root or an invalid path.
func parentPath(p string) string {
	if !validPath(p) {
		return ""
	}
	i := strings.LastIndexByte(p[:len(p)-1], '/')
	if i <= 0 {
		return ""
	}
	return p[:i+1]
}

// ActingUnit returns the org path of the command unit the subject files
// cases at and acts for: a grid worker's community (the grid's parent; a
// grid is no command level), anyone else's own unit; "" for a malformed
// path. For FileCase the API passes it as Object.HolderOrgPath.
func ActingUnit(sub Subject) string {
	if sub.Role == whistle.RoleGridWorker {
		return parentPath(sub.OrgPath)
	}
	if validPath(sub.OrgPath) {
		return sub.OrgPath
	}
	return ""
}

// ScopePrefix returns the org path prefix of the cases the subject may see
// in lists: SQL filters with `org_path LIKE prefix || '%'` (or the same on
// holder_org_path, as ReadCase allows either). It mirrors the default
// ReadCase rules: "/" (everything) for an admin; ActingUnit for commanders,
// secretaries, supervisors and grid workers (a grid worker sees its
// community's cases, as it acts for the community). It returns "" —
// nothing — for a clerk, whose lists are scoped by department instead
// (tasks.department_id = the clerk's DepartmentID), and for an unknown
// role or a malformed path. It does not read the rule table: an admin's
// edit of the ReadCase rules changes Authorize, not this prefix.
func ScopePrefix(sub Subject) string {
	switch sub.Role {
	case whistle.RoleAdmin:
		return "/"
	case whistle.RoleCommander, whistle.RoleStreetSecretary, whistle.RoleCommunitySecretary,
		whistle.RoleSupervisor, whistle.RoleGridWorker:
		return ActingUnit(sub)
	}
	return ""
}
