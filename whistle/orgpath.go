package whistle

import "strings"

// OrgPath is an org unit's materialized path, its ancestors' ids and its
// own from the city down, slash-delimited and slash-terminated:
// "/110000/110101/". Jurisdiction is a prefix test on it, so the trailing
// slash matters: "/1101/" is not inside "/110/".
type OrgPath string

// Valid reports whether p names a real node: "/110000/" or deeper, no
// empty segment. The bare "/" is not a node (it would be everyone's
// ancestor).
func (p OrgPath) Valid() bool {
	s := string(p)
	return len(s) >= 3 && s[0] == '/' && s[len(s)-1] == '/' && !strings.Contains(s, "//")
}

// Units returns the ids on the path, the city first; nil for "/" or "".
func (p OrgPath) Units() []string {
	trimmed := strings.Trim(string(p), "/")
	if trimmed == "" {
		return nil
	}
	return strings.Split(trimmed, "/")
}

// Depth is how many units the path holds: 1 for the city, 2 for a
// district, 3 for a street, 4 for a community, 5 for a grid.
func (p OrgPath) Depth() int { return len(p.Units()) }

// Unit is the id of the node the path names; "" for "/".
func (p OrgPath) Unit() string {
	ids := p.Units()
	if len(ids) == 0 {
		return ""
	}
	return ids[len(ids)-1]
}

// Parent returns the path of p's parent; "" for the root or an invalid path.
func (p OrgPath) Parent() OrgPath {
	if !p.Valid() {
		return ""
	}
	s := string(p)
	i := strings.LastIndexByte(s[:len(s)-1], '/')
	if i <= 0 {
		return ""
	}
	return OrgPath(s[:i+1])
}

// Within reports whether p is unit or inside unit's subtree. Both must be
// valid paths.
func (p OrgPath) Within(unit OrgPath) bool {
	return p.Valid() && unit.Valid() && strings.HasPrefix(string(p), string(unit))
}

// Level is the command level of the unit the path names: city, district,
// street, or community for anything deeper (a grid belongs to its
// community's level).
func (p OrgPath) Level() Level {
	switch p.Depth() {
	case 0, 1:
		return LevelCity
	case 2:
		return LevelDistrict
	case 3:
		return LevelStreet
	}
	return LevelCommunity
}
