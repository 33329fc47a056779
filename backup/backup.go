// Package backup copies the data folder of the embedded default (`shaobao
// dev`: Shaobao's SQLite database, the embedded Temporal server's SQLite
// database, the channel secret key and the uploaded files) into one tar.gz
// archive with a manifest, while the server runs, and restores such an
// archive into a new folder.
//
// The databases are copied at one instant: Create takes the write lock of
// every database at once, opens a read snapshot of each while no writer can
// commit, lets the writers go and copies the snapshots with SQLite's online
// backup API. The archive therefore holds what a power cut at that instant
// would have left on disk, a state the product already recovers from (the
// workflows retry their activities, the projections are idempotent), and
// never a Temporal history from one moment beside a read model from another.
package backup

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"modernc.org/sqlite"
)

// Format is the version of the archive layout Create writes and Restore
// reads; Restore refuses a newer one.
const Format = 1

// ManifestName is the archive member that describes the others; it is
// written last, once every member's checksum is known.
const ManifestName = "manifest.json"

// filesPrefix is where the uploaded files sit in the archive and in a
// restored data folder, whatever --files-dir they came from.
const filesPrefix = "files"

// Kinds of archive members.
const (
	KindSQLite = "sqlite" // a consistent copy of a SQLite database
	KindFile   = "file"   // any other file, copied as it is
)

// Manifest describes an archive.
type Manifest struct {
	Format     int       `json:"format"`
	Program    string    `json:"program"`     // the shaobao build that wrote it
	Source     string    `json:"source"`      // the data folder backed up
	FilesDir   string    `json:"files_dir"`   // the folder the files/ members came from
	SnapshotAt time.Time `json:"snapshot_at"` // the instant every database was copied at
	Created    time.Time `json:"created"`     // when the archive was complete
	Entries    []Entry   `json:"entries"`
}

// Entry is one archive member.
type Entry struct {
	Path   string `json:"path"` // slash-separated, relative to the data folder
	Kind   string `json:"kind"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Size is the total size of the members.
func (m *Manifest) Size() int64 {
	var n int64
	for _, e := range m.Entries {
		n += e.Size
	}
	return n
}

// Databases are the paths of the SQLite members.
func (m *Manifest) Databases() []string {
	var dbs []string
	for _, e := range m.Entries {
		if e.Kind == KindSQLite {
			dbs = append(dbs, e.Path)
		}
	}
	return dbs
}

// Options say what Create backs up and where to.
type Options struct {
	DataDir  string // the folder of `shaobao dev --data`
	FilesDir string // the uploaded files; empty: DataDir/files
	Out      string // the archive to write; must not exist
	Program  string // recorded in the manifest
	// Lock bounds how long Create waits for each database's write lock
	// (a writer holds it for one transaction); 0: 30 s.
	Lock time.Duration
}

// Create writes a backup of o.DataDir to o.Out and returns its manifest.
// It refuses a folder without Shaobao's database and an existing o.Out;
// the archive appears under its name only once it is complete.
func Create(ctx context.Context, o Options) (*Manifest, error) {
	data, err := filepath.Abs(o.DataDir)
	if err != nil {
		return nil, fmt.Errorf("backup: data folder: %w", err)
	}
	if _, err := os.Stat(filepath.Join(data, "shaobao.db")); err != nil {
		return nil, fmt.Errorf("backup: %s holds no shaobao.db (is it the --data folder of `shaobao dev`?): %w", data, err)
	}
	files := o.FilesDir
	if files == "" {
		files = filepath.Join(data, filesPrefix)
	}
	if files, err = filepath.Abs(files); err != nil {
		return nil, fmt.Errorf("backup: files folder: %w", err)
	}
	out, err := filepath.Abs(o.Out)
	if err != nil {
		return nil, fmt.Errorf("backup: --out: %w", err)
	}
	if _, err := os.Lstat(out); err == nil {
		return nil, fmt.Errorf("backup: %s exists; give a new file name", out)
	}
	lock := o.Lock
	if lock <= 0 {
		lock = 30 * time.Second
	}

	dbs, others, err := walkData(data, files, out)
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp(filepath.Dir(out), ".shaobao-backup-*")
	if err != nil {
		return nil, fmt.Errorf("backup: work folder beside %s: %w", out, err)
	}
	defer os.RemoveAll(work)

	m := &Manifest{Format: Format, Program: o.Program, Source: data, FilesDir: files}
	copies := make([]string, len(dbs))
	for i := range dbs {
		copies[i] = filepath.Join(work, fmt.Sprintf("db%d", i))
	}
	if m.SnapshotAt, err = snapshot(ctx, dbs, copies, lock); err != nil {
		return nil, err
	}

	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".partial-*")
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	defer tmp.Close()
	zw := gzip.NewWriter(tmp)
	tw := tar.NewWriter(zw)

	for i, db := range dbs {
		e, err := addFile(tw, copies[i], db.rel, KindSQLite, 0o600)
		if err != nil {
			return nil, err
		}
		m.Entries = append(m.Entries, e)
	}
	// The files come after the database snapshots: every file a snapshot
	// names was written before it (uploads are stored, then recorded), so
	// it is on disk now unless deleted since.
	for _, f := range others {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		e, err := addFile(tw, f.path, f.rel, KindFile, 0)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed since the walk: not part of the snapshot's state either
		}
		if err != nil {
			return nil, err
		}
		m.Entries = append(m.Entries, e)
	}
	m.Created = time.Now().UTC()
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("backup: manifest: %w", err)
	}
	if err := tw.WriteHeader(&tar.Header{Name: ManifestName, Mode: 0o644, Size: int64(len(raw)), ModTime: m.Created, Typeflag: tar.TypeReg}); err != nil {
		return nil, fmt.Errorf("backup: manifest: %w", err)
	}
	if _, err := tw.Write(raw); err != nil {
		return nil, fmt.Errorf("backup: manifest: %w", err)
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("backup: write %s: %w", out, err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("backup: write %s: %w", out, err)
	}
	if err := tmp.Sync(); err != nil {
		return nil, fmt.Errorf("backup: write %s: %w", out, err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("backup: write %s: %w", out, err)
	}
	// The archive holds the channel secret key: owner-only, like the key.
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	if err := os.Link(tmp.Name(), out); err != nil { // unlike rename, never replaces a file made meanwhile
		return nil, fmt.Errorf("backup: %w", err)
	}
	return m, nil
}

// dataFile is a file found in the data folder, and its archive path.
type dataFile struct {
	path, rel string
}

// walkData lists the SQLite databases of the data folder (outside the
// files folder) and every other file to copy as it is, in a stable order.
func walkData(data, files, out string) (dbs, others []dataFile, err error) {
	err = filepath.WalkDir(data, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path == files {
				return filepath.SkipDir // walked on its own below
			}
			return nil
		}
		if !d.Type().IsRegular() || skipped(path, out) {
			return nil
		}
		rel, err := filepath.Rel(data, path)
		if err != nil {
			return err
		}
		f := dataFile{path: path, rel: filepath.ToSlash(rel)}
		if isSQLite(path) {
			dbs = append(dbs, f)
		} else {
			others = append(others, f)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("backup: read %s: %w", data, err)
	}
	err = filepath.WalkDir(files, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && path == files {
			return filepath.SkipDir // no upload yet
		}
		if err != nil {
			return err
		}
		if d.IsDir() || !d.Type().IsRegular() || skipped(path, out) {
			return nil
		}
		rel, err := filepath.Rel(files, path)
		if err != nil {
			return err
		}
		others = append(others, dataFile{path: path, rel: filesPrefix + "/" + filepath.ToSlash(rel)})
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("backup: read %s: %w", files, err)
	}
	return dbs, others, nil
}

// skipped reports the files a backup leaves out: SQLite's journals (their
// content is in the snapshot), the dev server's lock, uploads still being
// written, and the archive itself when it is written inside the folder.
func skipped(path, out string) bool {
	base := filepath.Base(path)
	switch {
	case strings.HasSuffix(base, "-wal"), strings.HasSuffix(base, "-shm"), strings.HasSuffix(base, "-journal"):
		return true
	case base == "temporal.lock": // devserver's flock(2) file
		return true
	case strings.HasPrefix(base, ".put-"): // store.DirBlob's temporary file
		return true
	case path == out, strings.HasPrefix(base, "."+filepath.Base(out)+".partial-"):
		return true
	}
	return strings.Contains(path, string(filepath.Separator)+".shaobao-backup-")
}

// sqliteHeader starts every SQLite database file.
const sqliteHeader = "SQLite format 3\x00"

// isSQLite reports whether path is a SQLite database: its header, or a
// *.db name (a database in WAL mode may not have its first page on disk yet).
func isSQLite(path string) bool {
	if strings.HasSuffix(path, ".db") {
		return true
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, len(sqliteHeader))
	_, err = io.ReadFull(f, head)
	return err == nil && string(head) == sqliteHeader
}

// dsn opens an existing database file (never creating one) with a busy
// timeout, the way modernc.org/sqlite, the pure-Go driver of the store and
// of Temporal's SQLite plugin, reads it.
func dsn(path string, busy time.Duration) string {
	return "file:" + path + fmt.Sprintf("?mode=rw&_pragma=busy_timeout(%d)", busy.Milliseconds())
}

// backuper is the online backup API of modernc.org/sqlite's connection.
type backuper interface {
	NewBackup(dst string) (*sqlite.Backup, error)
}

// snapshot copies every database in dbs to the matching path of copies at
// one instant, which it returns. See the package comment.
func snapshot(ctx context.Context, dbs []dataFile, copies []string, lock time.Duration) (time.Time, error) {
	type open struct {
		db             *sql.DB
		writer, reader *sql.Conn
	}
	opened := make([]*open, len(dbs))
	defer func() {
		// Closing the connections ends their transactions: a failure
		// part-way never leaves a lock behind.
		for _, o := range opened {
			if o == nil {
				continue
			}
			for _, c := range []*sql.Conn{o.writer, o.reader} {
				if c != nil {
					_ = c.Close()
				}
			}
			_ = o.db.Close()
		}
	}()
	for i, f := range dbs {
		db, err := sql.Open("sqlite", dsn(f.path, lock))
		if err != nil {
			return time.Time{}, fmt.Errorf("backup: open %s: %w", f.rel, err)
		}
		o := &open{db: db}
		opened[i] = o
		if o.writer, err = db.Conn(ctx); err != nil {
			return time.Time{}, fmt.Errorf("backup: open %s: %w", f.rel, err)
		}
		if o.reader, err = db.Conn(ctx); err != nil {
			return time.Time{}, fmt.Errorf("backup: open %s: %w", f.rel, err)
		}
	}
	// Every write lock at once: from here to the rollbacks below no
	// database changes. A writer that wants a lock meanwhile waits on its
	// busy timeout (10 s and more in the dev server); this takes
	// milliseconds. No transaction of the product spans two databases, so
	// taking them in a fixed order cannot deadlock with one.
	for i, o := range opened {
		if _, err := o.writer.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
			return time.Time{}, fmt.Errorf("backup: lock %s: %w", dbs[i].rel, err)
		}
	}
	for i, o := range opened {
		// A deferred transaction fixes its snapshot at its first read.
		var n int
		if _, err := o.reader.ExecContext(ctx, "BEGIN"); err != nil {
			return time.Time{}, fmt.Errorf("backup: read %s: %w", dbs[i].rel, err)
		}
		if err := o.reader.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&n); err != nil {
			return time.Time{}, fmt.Errorf("backup: read %s: %w", dbs[i].rel, err)
		}
	}
	at := time.Now().UTC()
	for i, o := range opened {
		if _, err := o.writer.ExecContext(ctx, "ROLLBACK"); err != nil {
			return time.Time{}, fmt.Errorf("backup: unlock %s: %w", dbs[i].rel, err)
		}
	}
	// The backup API reads through the reader's open transaction, so it
	// copies that snapshot, the WAL's committed frames included, while the
	// server goes on writing.
	for i, o := range opened {
		err := o.reader.Raw(func(dc any) error {
			b, ok := dc.(backuper)
			if !ok {
				return fmt.Errorf("the SQLite driver %T has no online backup", dc)
			}
			bk, err := b.NewBackup(copies[i])
			if err != nil {
				return err
			}
			if _, err := bk.Step(-1); err != nil {
				_ = bk.Finish()
				return err
			}
			return bk.Finish()
		})
		if err != nil {
			return time.Time{}, fmt.Errorf("backup: copy %s: %w", dbs[i].rel, err)
		}
		if _, err := o.reader.ExecContext(ctx, "ROLLBACK"); err != nil {
			return time.Time{}, fmt.Errorf("backup: read %s: %w", dbs[i].rel, err)
		}
		if err := settle(ctx, copies[i]); err != nil {
			return time.Time{}, fmt.Errorf("backup: copy of %s: %w", dbs[i].rel, err)
		}
	}
	return at, nil
}

// settle turns a copied database into one self-contained file (rollback
// journal mode: no -wal beside it to lose) and checks it.
func settle(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", dsn(path, 5*time.Second))
	if err != nil {
		return err
	}
	defer db.Close()
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode=DELETE").Scan(&mode); err != nil {
		return fmt.Errorf("journal mode: %w", err)
	}
	return check(ctx, db)
}

// check runs SQLite's quick_check, which reads every page.
func check(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, "PRAGMA quick_check")
	if err != nil {
		return fmt.Errorf("quick_check: %w", err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return fmt.Errorf("quick_check: %w", err)
		}
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("quick_check: %w", err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("quick_check: %s", strings.Join(problems, "; "))
	}
	return nil
}

// addFile writes the file at path to tw as rel, with its checksum. Mode 0
// keeps the file's own permissions.
func addFile(tw *tar.Writer, path, rel, kind string, mode fs.FileMode) (Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Entry{}, err
		}
		return Entry{}, fmt.Errorf("backup: %s: %w", rel, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Entry{}, fmt.Errorf("backup: %s: %w", rel, err)
	}
	if mode == 0 {
		mode = st.Mode().Perm()
	}
	h := &tar.Header{Name: rel, Mode: int64(mode), Size: st.Size(), ModTime: st.ModTime(), Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(h); err != nil {
		return Entry{}, fmt.Errorf("backup: %s: %w", rel, err)
	}
	sum := sha256.New()
	// Uploaded files are written whole under a temporary name and renamed,
	// so the open file does not change; its size bounds the copy anyway.
	if _, err := io.CopyN(io.MultiWriter(tw, sum), f, st.Size()); err != nil {
		return Entry{}, fmt.Errorf("backup: %s: %w", rel, err)
	}
	return Entry{Path: rel, Kind: kind, Size: st.Size(), SHA256: hex.EncodeToString(sum.Sum(nil))}, nil
}

// Restore unpacks the archive in into the new data folder dataDir and
// returns its manifest. It refuses a dataDir that exists and is not empty,
// a member outside the folder, and an archive whose members do not match
// its manifest; dataDir appears only once everything was checked.
func Restore(ctx context.Context, in, dataDir string) (*Manifest, error) {
	target, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, fmt.Errorf("restore: --data: %w", err)
	}
	existed := false
	switch entries, err := os.ReadDir(target); {
	case err == nil && len(entries) > 0:
		return nil, fmt.Errorf("restore: %s is not empty; restore into a new folder (目标文件夹非空，请换一个新文件夹)", target)
	case err == nil:
		existed = true
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("restore: %s: %w", target, err)
	}
	parent := filepath.Dir(target)
	if err := os.MkdirAll(parent, 0o750); err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	work, err := os.MkdirTemp(parent, "."+filepath.Base(target)+".restore-*")
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	defer os.RemoveAll(work) // empty once renamed

	m, got, err := unpack(ctx, in, work)
	if err != nil {
		return nil, err
	}
	if err := verify(m, got); err != nil {
		return nil, fmt.Errorf("restore: %s: %w", in, err)
	}
	for _, rel := range m.Databases() {
		if err := checkFile(ctx, filepath.Join(work, filepath.FromSlash(rel))); err != nil {
			return nil, fmt.Errorf("restore: %s: %w", rel, err)
		}
	}
	if existed {
		if err := os.Remove(target); err != nil { // empty, checked above
			return nil, fmt.Errorf("restore: %w", err)
		}
	}
	if err := os.Chmod(work, 0o750); err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	if err := os.Rename(work, target); err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	return m, nil
}

// unpack extracts the archive into dir, returning its manifest and the
// size and checksum of every other member.
func unpack(ctx context.Context, in, dir string) (*Manifest, map[string]Entry, error) {
	f, err := os.Open(in)
	if err != nil {
		return nil, nil, fmt.Errorf("restore: %w", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, nil, fmt.Errorf("restore: %s is not a shaobao backup (gzip): %w", in, err)
	}
	tr := tar.NewReader(zr)
	got := map[string]Entry{}
	var m *Manifest
	for {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("restore: read %s: %w", in, err)
		}
		if h.Typeflag != tar.TypeReg || !filepath.IsLocal(filepath.FromSlash(h.Name)) || strings.Contains(h.Name, `\`) {
			return nil, nil, fmt.Errorf("restore: %s: member %q is not a plain file inside the data folder", in, h.Name)
		}
		if h.Name == ManifestName {
			m = new(Manifest)
			if err := json.NewDecoder(io.LimitReader(tr, 64<<20)).Decode(m); err != nil {
				return nil, nil, fmt.Errorf("restore: %s: manifest: %w", in, err)
			}
			continue
		}
		if _, dup := got[h.Name]; dup {
			return nil, nil, fmt.Errorf("restore: %s: member %q appears twice", in, h.Name)
		}
		e, err := extract(tr, h, dir)
		if err != nil {
			return nil, nil, fmt.Errorf("restore: %s: %w", h.Name, err)
		}
		got[h.Name] = e
	}
	if m == nil {
		return nil, nil, fmt.Errorf("restore: %s has no %s: not a shaobao backup", in, ManifestName)
	}
	if m.Format > Format {
		return nil, nil, fmt.Errorf("restore: %s is format %d, written by a newer shaobao (%s); this one reads format %d", in, m.Format, m.Program, Format)
	}
	return m, got, nil
}

func extract(tr *tar.Reader, h *tar.Header, dir string) (Entry, error) {
	path := filepath.Join(dir, filepath.FromSlash(h.Name))
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return Entry{}, err
	}
	out, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, fs.FileMode(h.Mode).Perm())
	if err != nil {
		return Entry{}, err
	}
	sum := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, sum), tr)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Entry{}, err
	}
	return Entry{Path: h.Name, Size: n, SHA256: hex.EncodeToString(sum.Sum(nil))}, nil
}

// verify checks that the members are exactly those of the manifest, with
// its sizes and checksums.
func verify(m *Manifest, got map[string]Entry) error {
	var problems []string
	seen := map[string]bool{}
	for _, e := range m.Entries {
		seen[e.Path] = true
		g, ok := got[e.Path]
		switch {
		case !ok:
			problems = append(problems, e.Path+" is missing")
		case g.Size != e.Size || g.SHA256 != e.SHA256:
			problems = append(problems, fmt.Sprintf("%s differs from the manifest (%d bytes, sha256 %s; want %d, %s)", e.Path, g.Size, g.SHA256, e.Size, e.SHA256))
		}
	}
	for p := range got {
		if !seen[p] {
			problems = append(problems, p+" is not in the manifest")
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return errors.New("damaged archive: " + strings.Join(problems, "; "))
	}
	return nil
}

func checkFile(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", dsn(path, 5*time.Second))
	if err != nil {
		return err
	}
	defer db.Close()
	return check(ctx, db)
}
