package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/shaobao/shaobao/whistle"
)

// The admin tables (org units, departments, users, the catalogue) are
// listed, created and edited the same way; these helpers are that way.

// equal keeps the rows whose column is v; "" does not filter.
func equal(db *gorm.DB, column, v string) *gorm.DB {
	if v == "" {
		return db
	}
	return db.Where(column+" = ?", v)
}

// flagged keeps the rows whose boolean column is *v; nil does not filter.
func flagged(db *gorm.DB, column string, v *bool) *gorm.DB {
	if v == nil {
		return db
	}
	return db.Where(column+" = ?", *v)
}

// within keeps the rows whose path column lies in the subtree at path
// (the subtree's root included); "" does not filter.
func within(db *gorm.DB, column, path string) *gorm.DB {
	if path == "" {
		return db
	}
	return db.Where(column+" LIKE ?", likePrefix(path))
}

// matching keeps the rows where any of columns contains text; "" does not
// filter.
func matching(db *gorm.DB, text string, columns ...string) *gorm.DB {
	if text == "" {
		return db
	}
	like := containsPattern(text)
	conds := make([]string, len(columns))
	args := make([]any, len(columns))
	for i, col := range columns {
		conds[i], args[i] = col+" LIKE ?", like
	}
	return db.Where("("+strings.Join(conds, " OR ")+")", args...)
}

// paginate limits a query to page p (normalized).
func (p Page) paginate(db *gorm.DB) *gorm.DB {
	p = p.Normalize()
	return db.Offset(p.offset()).Limit(p.PageSize)
}

// findCounted counts the rows db selects, then loads those window keeps
// in order; what names the rows in errors ("users").
func findCounted[T any](db *gorm.DB, what, order string, window func(*gorm.DB) *gorm.DB) ([]T, int64, error) {
	var total int64
	if err := db.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count %s: %w", what, err)
	}
	var rows []T
	if err := window(db.Order(order)).Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list %s: %w", what, err)
	}
	return rows, total, nil
}

// uniqueKey is a column whose value a new row must not share, named for
// the conflict error: an org unit's id, a user's username.
type uniqueKey struct {
	column, value string
	zh, en        string
}

// idKey is the key of a table whose ids ValidOrgID checks; zh and en name
// the id ("部门编码", "department id"). It returns an invalid error for an
// id ValidOrgID refuses.
func idKey(id, zh, en string) (uniqueKey, error) {
	key := uniqueKey{column: "id", value: id, zh: zh, en: en}
	if !ValidOrgID(id) {
		return key, whistle.Errorf(whistle.EInvalid, "%[1]s id 无效：%[3]q（1–32 位字母、数字或 -）", "invalid %[2]s %[3]q (1–32 letters, digits or -)", zh, en, id)
	}
	return key, nil
}

// insert adds the row build returns, in one transaction with build's
// reads, after checking that no row of T holds key. It returns build's
// coded errors as they are and a conflict error when key is taken.
func insert[T any](ctx context.Context, db *gorm.DB, key uniqueKey, build func(tx *gorm.DB) (T, error)) (T, error) {
	var row T
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := unused(tx, new(T), key.column, key.value, key.zh, key.en); err != nil {
			return err
		}
		var err error
		if row, err = build(tx); err != nil {
			return err
		}
		return tx.Create(&row).Error
	})
	if err != nil {
		var zero T
		return zero, wrapWrite(err, fmt.Sprintf("create the row of %s %s", key.en, key.value))
	}
	return row, nil
}

// updateByID loads the row of T with id, lets change edit it (and do
// more in the same transaction), then saves the columns named. It returns
// not_found for an unknown id; what names the row ("department").
func updateByID[T any](ctx context.Context, db *gorm.DB, what, id string, columns []string, change func(tx *gorm.DB, row *T) error) (T, error) {
	var row T
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := take(tx.Where("id = ?", id), &row, what, id); err != nil {
			return err
		}
		if err := change(tx, &row); err != nil {
			return err
		}
		return tx.Model(&row).Select(columns).Updates(&row).Error
	})
	if err != nil {
		var zero T
		return zero, wrapWrite(err, "update "+what+" "+id)
	}
	return row, nil
}

// unused returns a conflict error if a row of model has value in column:
// an id or name already taken.
func unused(tx *gorm.DB, model any, column, value, zh, en string) error {
	var n int64
	if err := tx.Model(model).Where(column+" = ?", value).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return whistle.Errorf(whistle.EConflict, "%[1]s已被占用：%[3]s", "%[2]s already taken: %[3]s", zh, en, value)
	}
	return nil
}

// takeRef loads the row a request field names; a missing row is an
// invalid error naming the field: the request is wrong, not the route.
func takeRef(tx *gorm.DB, dest any, what, field, id string) error {
	err := take(tx.Where("id = ?", id), dest, what, id)
	var we *whistle.Error
	if errors.As(err, &we) && we.Code == whistle.ENotFound {
		return whistle.Errorf(whistle.EInvalid, "%s 引用的对象不存在：%s", "%s refers to something that does not exist: %s", field, id)
	}
	return err
}

// wrapWrite adds context to a database failure; coded errors pass as they are.
func wrapWrite(err error, what string) error {
	if err == nil {
		return nil
	}
	var we *whistle.Error
	if errors.As(err, &we) {
		return err
	}
	return fmt.Errorf("%s: %w", what, err)
}

// containsPattern is a LIKE pattern matching text anywhere, with the
// caller's wildcards taken out.
func containsPattern(text string) string {
	return "%" + strings.NewReplacer("%", "", "_", "", "\\", "").Replace(text) + "%"
}

// setIf sets *dst to *v unless v is nil: an edit's field left out.
func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}
