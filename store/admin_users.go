package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/shaobao/shaobao/whistle"
)

// usernamePattern is what a username looks like: "c1-secretary", "zhang.san".
var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,63}$`)

// ValidUsername reports whether name may be a username.
func ValidUsername(name string) bool { return usernamePattern.MatchString(name) }

// roleUnitKinds says at which kinds of org unit a role may sit; clerks sit
// in a department instead, admins anywhere.
var roleUnitKinds = map[whistle.Role][]whistle.OrgKind{
	whistle.RoleCommander:          {whistle.OrgCity, whistle.OrgDistrict, whistle.OrgStreet},
	whistle.RoleSupervisor:         {whistle.OrgCity, whistle.OrgDistrict, whistle.OrgStreet},
	whistle.RoleStreetSecretary:    {whistle.OrgStreet},
	whistle.RoleCommunitySecretary: {whistle.OrgCommunity},
	whistle.RoleGridWorker:         {whistle.OrgGrid},
}

// UserQuery narrows FindUsers. Empty fields do not filter.
type UserQuery struct {
	Role string
	// Under keeps users of org units in this subtree (a path).
	Under        string
	OrgUnitID    string
	DepartmentID string
	Active       *bool
	// Query matches the username or the display name.
	Query string
	Page  Page
}

// FindUsers returns the users matching q by username, and how many match.
func (s *Store) FindUsers(ctx context.Context, q UserQuery) ([]User, int64, error) {
	db := s.DB.WithContext(ctx).Model(&User{})
	db = equal(db, "role", q.Role)
	db = within(db, "org_path", q.Under)
	db = equal(db, "org_unit_id", q.OrgUnitID)
	db = equal(db, "department_id", q.DepartmentID)
	db = flagged(db, "active", q.Active)
	db = matching(db, q.Query, "username", "display_name")
	return findCounted[User](db, "users", "username", q.Page.paginate)
}

// NewUser is what an admin gives to create a user: a clerk names a
// department (and sits at its org unit), everyone else an org unit.
type NewUser struct {
	Username, DisplayName string
	Role                  whistle.Role
	OrgUnitID             string
	DepartmentID          string
}

// CreateUser adds an active user. It returns an invalid error for a bad
// username or role, a clerk without a department (or with an org unit
// other than the department's), a non-clerk without an org unit or with a
// department, an unknown org unit or department, an inactive department,
// or an org unit of the wrong kind for the role (a community secretary sits
// at a community, a grid worker at a grid, a street secretary at a street,
// a commander or supervisor at a city, district or street); a conflict
// error if the username is taken.
func (s *Store) CreateUser(ctx context.Context, n NewUser) (User, error) {
	if !ValidUsername(n.Username) {
		return User{}, whistle.Errorf(whistle.EInvalid, "用户名 username 无效：%q（2–64 位小写字母、数字、. _ -，以字母或数字开头）", "invalid username %q (2–64 lower-case letters, digits, . _ -, starting with a letter or digit)", n.Username)
	}
	if !n.Role.Valid() {
		return User{}, whistle.Errorf(whistle.EInvalid, "角色 role 无效：%q", "invalid role %q", n.Role)
	}
	key := uniqueKey{column: "username", value: n.Username, zh: "用户名", en: "username"}
	return insert(ctx, s.DB, key, func(tx *gorm.DB) (User, error) {
		row := User{ID: uuid.NewString(), Username: n.Username, DisplayName: n.DisplayName, Role: string(n.Role), Active: true}
		return row, place(tx, &row, n.Role, n.OrgUnitID, n.DepartmentID)
	})
}

// place seats row in its role: a clerk in an active department (its org
// unit is the department's), anyone else at an org unit of a kind the
// role may sit at. CreateUser and UpdateUser share it.
func place(tx *gorm.DB, row *User, role whistle.Role, orgUnitID, departmentID string) error {
	row.Role = string(role)
	if role == whistle.RoleClerk {
		if departmentID == "" {
			return whistle.Errorf(whistle.EInvalid, "部门人员须给出 department_id", "a clerk needs a department_id")
		}
		var d Department
		if err := takeRef(tx, &d, "department", "department_id", departmentID); err != nil {
			return err
		}
		if !d.Active {
			return whistle.Errorf(whistle.EInvalid, "部门已停用：%s", "department is inactive: %s", d.ID)
		}
		if orgUnitID != "" && orgUnitID != d.OrgUnitID {
			return whistle.Errorf(whistle.EInvalid, "部门人员的 org_unit_id 须是其部门所在组织 %s（可省略）", "a clerk's org_unit_id must be the department's, %s (or left out)", d.OrgUnitID)
		}
		row.OrgUnitID, row.OrgPath, row.DepartmentID = d.OrgUnitID, d.OrgPath, &d.ID
		return nil
	}
	if departmentID != "" {
		return whistle.Errorf(whistle.EInvalid, "只有部门人员（clerk）可以属于部门", "only a clerk belongs to a department")
	}
	if orgUnitID == "" {
		return whistle.Errorf(whistle.EInvalid, "须给出 org_unit_id", "org_unit_id is required")
	}
	var unit OrgUnit
	if err := takeRef(tx, &unit, "org unit", "org_unit_id", orgUnitID); err != nil {
		return err
	}
	if kinds, ok := roleUnitKinds[role]; ok && !slices.Contains(kinds, whistle.OrgKind(unit.Kind)) {
		return whistle.Errorf(whistle.EInvalid, "角色 %s 不能设在 %s（%s）", "role %s cannot sit at a %s (%s)", role, unit.Kind, unit.ID)
	}
	row.OrgUnitID, row.OrgPath, row.DepartmentID = unit.ID, unit.Path, nil
	return nil
}

// UserChange is an admin's edit of a user; nil fields stay.
type UserChange struct {
	DisplayName *string
	Active      *bool
	// Role moves the user to another role; OrgUnitID and DepartmentID
	// then say where it sits (as at creation). Either of those alone
	// moves the user within its role.
	Role         *whistle.Role
	OrgUnitID    *string
	DepartmentID *string
}

// UpdateUser applies ch. Deactivating a user revokes every token of theirs
// in the same transaction. It returns not_found for an unknown id and a
// conflict error when it would deactivate the last active admin.
func (s *Store) UpdateUser(ctx context.Context, id string, ch UserChange) (User, error) {
	cols := []string{"display_name", "active", "role", "org_unit_id", "org_path", "department_id", "updated_at"}
	return updateByID(ctx, s.DB, "user", id, cols, func(tx *gorm.DB, row *User) error {
		setIf(&row.DisplayName, ch.DisplayName)
		wasAdmin := row.Role == string(whistle.RoleAdmin) && row.Active
		if ch.Role != nil || ch.OrgUnitID != nil || ch.DepartmentID != nil {
			role := whistle.Role(row.Role)
			if ch.Role != nil {
				if !ch.Role.Valid() {
					return whistle.Errorf(whistle.EInvalid, "角色 role 无效：%q", "invalid role %q", *ch.Role)
				}
				role = *ch.Role
			}
			org, dept := row.OrgUnitID, ""
			if row.DepartmentID != nil {
				dept = *row.DepartmentID
			}
			if role == whistle.RoleClerk {
				org = "" // a clerk sits where its department is
			} else {
				dept = ""
			}
			setIf(&org, ch.OrgUnitID)
			setIf(&dept, ch.DepartmentID)
			if err := place(tx, row, role, org, dept); err != nil {
				return err
			}
		}
		deactivate := ch.Active != nil && !*ch.Active && row.Active
		setIf(&row.Active, ch.Active)
		if wasAdmin && (deactivate || row.Role != string(whistle.RoleAdmin)) {
			var admins int64
			if err := tx.Model(&User{}).Where("role = ? AND active = ? AND id <> ?", whistle.RoleAdmin, true, id).Count(&admins).Error; err != nil {
				return err
			}
			if admins == 0 {
				return whistle.Errorf(whistle.EConflict, "不能停用或改任最后一个管理员", "cannot deactivate or reassign the last active admin")
			}
		}
		if !deactivate {
			return nil
		}
		// In the same transaction as the user's row, so a deactivated
		// user keeps no working token.
		return tx.Model(&APIToken{}).Where("user_id = ? AND revoked_at IS NULL", id).Update("revoked_at", time.Now().UTC()).Error
	})
}

// IssueUserToken issues a bearer token for an active user (IssueToken) and
// returns its row with the token, which is shown this once. It returns
// not_found for an unknown user and a conflict error for an inactive one.
func (s *Store) IssueUserToken(ctx context.Context, userID, name string, ttl time.Duration) (APIToken, string, error) {
	u, err := s.User(ctx, userID)
	if err != nil {
		return APIToken{}, "", err
	}
	if !u.Active {
		return APIToken{}, "", whistle.Errorf(whistle.EConflict, "用户已停用，不能签发令牌：%s", "the user is inactive; no token can be issued: %s", u.Username)
	}
	token, err := s.IssueToken(ctx, userID, name, ttl)
	if err != nil {
		return APIToken{}, "", err
	}
	var row APIToken
	if err := s.DB.WithContext(ctx).Where("hash = ?", HashToken(token)).Take(&row).Error; err != nil {
		return APIToken{}, "", fmt.Errorf("load issued token: %w", err)
	}
	return row, token, nil
}

// UserTokens returns a user's tokens, newest first, without their secrets
// (only hashes are stored). It returns not_found for an unknown user.
func (s *Store) UserTokens(ctx context.Context, userID string) ([]APIToken, error) {
	if _, err := s.User(ctx, userID); err != nil {
		return nil, err
	}
	var rows []APIToken
	if err := s.DB.WithContext(ctx).Where("user_id = ?", userID).Order("created_at DESC, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list tokens of user %s: %w", userID, err)
	}
	return rows, nil
}

// RevokeUserToken revokes one token of a user. It returns not_found when
// the user has no token with that id and a conflict error if it is
// already revoked.
func (s *Store) RevokeUserToken(ctx context.Context, userID, tokenID string) (APIToken, error) {
	var row APIToken
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Where("id = ? AND user_id = ?", tokenID, userID).Take(&row).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return whistle.Errorf(whistle.ENotFound, "该用户没有这个令牌：%s", "the user has no token %s", tokenID)
		}
		if err != nil {
			return err
		}
		if row.RevokedAt != nil {
			return whistle.Errorf(whistle.EConflict, "令牌已被吊销：%s", "the token is already revoked: %s", tokenID)
		}
		now := time.Now().UTC()
		row.RevokedAt = &now
		return tx.Model(&row).Update("revoked_at", now).Error
	})
	if err != nil {
		return APIToken{}, wrapWrite(err, "revoke token "+tokenID)
	}
	return row, nil
}
