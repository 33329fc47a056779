package policy

import "github.com/shaobao/shaobao/whistle"

// Scope is where a rule lets an actor act: a subtree of the org tree, or
// a department's work. The zero Scope is nowhere.
type Scope struct {
	// Path is the subtree's org path, "/" for the whole city; "" when the
	// scope is a department's.
	Path whistle.OrgPath
	// DepartmentID is, for rules that go by department (a clerk's), the
	// department whose tasks and cases the actor may act on.
	DepartmentID string
}

// IsZero reports whether the scope is nowhere.
func (s Scope) IsZero() bool { return s.Path == "" && s.DepartmentID == "" }

// subtree is the scope of the subtree at unit; nowhere for an invalid path.
func subtree(unit whistle.OrgPath) Scope {
	if !unit.Valid() {
		return Scope{}
	}
	return Scope{Path: unit}
}

// Scope decides, as Authorize does, whether sub may do act on obj, and
// returns where the rule that allowed it reaches: what a list or a view
// of act must be narrowed to. The zero Object stands for such a list (no
// one object): the first rule of sub's role for act that reaches anywhere
// for sub allows it. So the scope follows the rule table: an admin's edit
// of the rules changes the scope as it changes Authorize.
//
// A refusal is Authorize's: a forbidden error naming the rules (or
// DefaultDeny), with the zero Scope.
func (p *Policy) Scope(sub whistle.Actor, act Action, obj Object) (Scope, error) {
	sh := p.inForce.Load().shards[ruleKey{sub.Role, act}]
	if sh == nil {
		return Scope{}, defaultRefusal(sub.Role, act).err()
	}
	if obj.isZero() {
		for _, r := range sh.rules {
			if rel, ok := relations[r.Relation]; ok {
				if sc := rel.reach(&sub); !sc.IsZero() {
					return sc, nil
				}
			}
		}
		return Scope{}, sh.refusal.err()
	}
	ok, matched, err := sh.enf.EnforceEx(sh.role, sh.act, &sub, &obj)
	if err != nil {
		p.log.Error("policy: decision failed", "err", err, "user", sub.Username, "action", act)
		return Scope{}, whistle.Errorf(whistle.EInternal, "权限判定失败", "policy decision failed")
	}
	if !ok {
		return Scope{}, sh.refusal.err()
	}
	// matched is the allowing row's values: role, action, relation, name.
	if len(matched) < 3 {
		return Scope{}, whistle.Errorf(whistle.EInternal, "权限判定失败", "policy decision failed")
	}
	return relations[matched[2]].reach(&sub), nil
}

// isZero reports whether o names no object: a list rather than one case,
// task or unit.
func (o Object) isZero() bool {
	return o.OrgPath == "" && o.HolderOrgPath == "" && o.DepartmentID == "" &&
		o.DepartmentOrgPath == "" && len(o.TaskDepartmentIDs) == 0 && o.DepartmentParentID == ""
}
