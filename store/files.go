package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/shaobao/shaobao/whistle"
)

// File is an uploaded photo (POST /api/v1/files): who uploaded it, what it
// is, what its EXIF said (evidence of when and where; WGS-84) and where its
// bytes and thumbnail lie in the Blob store. ReferencedAt is nil until a
// case references it; unreferenced files are swept after UploadTTL.
type File struct {
	ID              string `gorm:"primaryKey;size:40"`
	UploaderID      string `gorm:"size:40;not null"`
	UploaderOrgPath string `gorm:"size:255;not null;default:''"`
	ContentType     string `gorm:"size:32;not null"`
	Size            int64  `gorm:"not null"`
	SHA256          string `gorm:"column:sha256;size:64;not null"`
	Width           int
	Height          int
	TakenAt         *time.Time
	Lat             *float64
	Lon             *float64
	Orientation     int
	ObjectKey       string `gorm:"size:255;not null"`
	ThumbnailKey    string `gorm:"size:255;not null"`
	CreatedAt       time.Time
	ReferencedAt    *time.Time
}

// TableName is the files table.
func (File) TableName() string { return "files" }

// CaseFile says that a case references a file, as a filing's photo, a
// feedback's evidence (after) or its before photo.
type CaseFile struct {
	CaseID string `gorm:"primaryKey;size:40"`
	FileID string `gorm:"primaryKey;size:40"`
	Role   string `gorm:"primaryKey;size:16"`
	Pos    int    // the file's place in its list (photos in the filer's order)
	At     time.Time
}

// TableName is the case_files table.
func (CaseFile) TableName() string { return "case_files" }

// Roles of a file on a case.
const (
	FileRolePhoto    = "photo"
	FileRoleEvidence = "evidence"
	FileRoleBefore   = "before"
)

// UploadTTL is how long an upload no case references is kept.
const UploadTTL = 24 * time.Hour

// FileNotFound is the not_found error of a file id.
func FileNotFound(id string) error {
	return whistle.Errorf(whistle.ENotFound, "文件不存在：%s", "file not found: %s", id)
}

// CreateFile records an upload whose objects are already stored.
func (s *Store) CreateFile(ctx context.Context, f File) error {
	f.CreatedAt = f.CreatedAt.UTC()
	if err := s.DB.WithContext(ctx).Create(&f).Error; err != nil {
		return fmt.Errorf("record file %s: %w", f.ID, err)
	}
	return nil
}

// FileByID returns the file id, or FileNotFound.
func (s *Store) FileByID(ctx context.Context, id string) (File, error) {
	var f File
	err := s.DB.WithContext(ctx).Where("id = ?", id).Take(&f).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return f, FileNotFound(id)
	}
	if err != nil {
		return f, fmt.Errorf("load file %s: %w", id, err)
	}
	return fileUTC(f), nil
}

// FilesByID returns the files of ids that exist, by id.
func (s *Store) FilesByID(ctx context.Context, ids []string) (map[string]File, error) {
	out := map[string]File{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []File
	if err := s.DB.WithContext(ctx).Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load files: %w", err)
	}
	for _, f := range rows {
		out[f.ID] = fileUTC(f)
	}
	return out, nil
}

func fileUTC(f File) File {
	f.CreatedAt = f.CreatedAt.UTC()
	f.TakenAt, f.ReferencedAt = utcPtr(f.TakenAt), utcPtr(f.ReferencedAt)
	return f
}

// UploadUsage is what a user uploaded since a time: the files and their
// bytes (the served bytes and the thumbnails' are not told apart: Size).
func (s *Store) UploadUsage(ctx context.Context, userID string, since time.Time) (files, bytes int64, err error) {
	var row struct {
		N     int64
		Bytes int64
	}
	err = s.DB.WithContext(ctx).Model(&File{}).Select("COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes").
		Where("uploader_id = ? AND created_at >= ?", userID, since.UTC()).Scan(&row).Error
	if err != nil {
		return 0, 0, fmt.Errorf("upload usage of %s: %w", userID, err)
	}
	return row.N, row.Bytes, nil
}

// FileCases returns the ids of the cases that reference file id, at most
// limit.
func (s *Store) FileCases(ctx context.Context, id string, limit int) ([]string, error) {
	var ids []string
	err := s.DB.WithContext(ctx).Model(&CaseFile{}).Distinct("case_id").Where("file_id = ?", id).
		Order("case_id").Limit(limit).Pluck("case_id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("cases of file %s: %w", id, err)
	}
	return ids, nil
}

// caseFileRefs lists the files c references: the filing's photos, each
// task's feedback evidence and before photos.
func caseFileRefs(c whistle.Case, at time.Time) []CaseFile {
	var refs []CaseFile
	seen := map[[2]string]bool{}
	add := func(role string, ids []string) {
		for i, id := range ids {
			if id == "" || seen[[2]string{id, role}] {
				continue
			}
			seen[[2]string{id, role}] = true
			refs = append(refs, CaseFile{CaseID: c.ID, FileID: id, Role: role, Pos: i, At: at})
		}
	}
	add(FileRolePhoto, c.Photos)
	for _, t := range c.Tasks {
		if t.Feedback != nil {
			add(FileRoleEvidence, t.Feedback.Files)
			add(FileRoleBefore, t.Feedback.BeforeFiles)
		}
	}
	return refs
}

// applyCaseFiles records the files c references (projection.go). It only
// adds: a reference, once made, stays (the timeline keeps the feedback
// that made it), and writing it twice changes nothing.
func applyCaseFiles(tx *gorm.DB, c whistle.Case) error {
	refs := caseFileRefs(c, c.UpdatedAt.UTC())
	if len(refs) == 0 {
		return nil
	}
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&refs).Error; err != nil {
		return fmt.Errorf("write file references: %w", err)
	}
	ids := make([]string, len(refs))
	for i, r := range refs {
		ids[i] = r.FileID
	}
	if err := tx.Model(&File{}).Where("id IN ? AND referenced_at IS NULL", ids).Update("referenced_at", c.UpdatedAt.UTC()).Error; err != nil {
		return fmt.Errorf("mark files referenced: %w", err)
	}
	return nil
}

// casePhotos returns the ids of the photos filed with case id, in the
// filer's order.
func casePhotos(db *gorm.DB, id string) ([]string, error) {
	var ids []string
	if err := db.Model(&CaseFile{}).Where("case_id = ? AND role = ?", id, FileRolePhoto).Order("pos, file_id").Pluck("file_id", &ids).Error; err != nil {
		return nil, fmt.Errorf("photos of case %s: %w", id, err)
	}
	return ids, nil
}

// SweepUploads removes up to limit files that no case references and that
// were uploaded before cutoff: the row first (only while still
// unreferenced, so a reference written meanwhile wins), then its objects.
// It returns how many it removed. A missing object is not an error.
func (s *Store) SweepUploads(ctx context.Context, blob Blob, cutoff time.Time, limit int) (int, error) {
	db := s.DB.WithContext(ctx)
	var stale []File
	err := db.Where("referenced_at IS NULL AND created_at < ?", cutoff.UTC()).
		Where("NOT EXISTS (SELECT 1 FROM case_files WHERE case_files.file_id = files.id)").
		Order("created_at").Limit(limit).Find(&stale).Error
	if err != nil {
		return 0, fmt.Errorf("find stale uploads: %w", err)
	}
	removed := 0
	for _, f := range stale {
		res := db.Where("id = ? AND referenced_at IS NULL", f.ID).
			Where("NOT EXISTS (SELECT 1 FROM case_files WHERE case_files.file_id = files.id)").Delete(&File{})
		if res.Error != nil {
			return removed, fmt.Errorf("remove file %s: %w", f.ID, res.Error)
		}
		if res.RowsAffected == 0 {
			continue // referenced since it was listed
		}
		for _, key := range []string{f.ObjectKey, f.ThumbnailKey} {
			if err := blob.Delete(ctx, key); err != nil {
				// The row is gone: the object is an orphan nobody can reach.
				s.log().WarnContext(ctx, "upload sweep: object not removed", "file_id", f.ID, "key", key, "err", err)
			}
		}
		removed++
	}
	return removed, nil
}

// RunUploadSweeper removes unreferenced uploads older than UploadTTL every
// interval until ctx is done. Several processes may run it: a row is
// removed once, an object deleted twice is no error.
func (s *Store) RunUploadSweeper(ctx context.Context, blob Blob, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for {
			n, err := s.SweepUploads(ctx, blob, time.Now().Add(-UploadTTL), 200)
			if err != nil && ctx.Err() == nil {
				s.log().Warn("upload sweep failed", "err", err)
			}
			if n > 0 {
				s.log().Info("upload sweep", "removed", n)
			}
			if err != nil || n < 200 {
				break
			}
		}
	}
}
