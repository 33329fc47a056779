package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/shaobao/shaobao/backup"
)

// runBackup archives the embedded default's data folder, also while
// `shaobao dev` runs on it (docs/operations.md).
func runBackup(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	data := fs.String("data", env("SHAOBAO_DATA", "./data"), "data folder of shaobao dev to back up (SHAOBAO_DATA)")
	files := fs.String("files-dir", env("SHAOBAO_FILES_DIR", ""), "folder of the uploaded photos when not --data/files (SHAOBAO_FILES_DIR)")
	out := fs.String("out", "", "archive to write, e.g. shaobao-2026-12-03.tar.gz; must not exist")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("backup: give --out FILE, the archive to write")
	}
	m, err := backup.Create(ctx, backup.Options{DataDir: *data, FilesDir: *files, Out: *out, Program: programVersion()})
	if err != nil {
		return err
	}
	fmt.Printf("backup written: %s (%d files, %d bytes; databases %s as of %s)\n",
		*out, len(m.Entries), m.Size(), strings.Join(m.Databases(), ", "), m.SnapshotAt.Format("2006-01-02T15:04:05.000Z07:00"))
	return nil
}

// runRestore unpacks a backup into a new data folder.
func runRestore(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	in := fs.String("in", "", "archive written by shaobao backup")
	data := fs.String("data", "", "new data folder to restore into; must not exist or be empty")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *in == "" || *data == "" {
		return errors.New("restore: give --in FILE and --data NEWDIR")
	}
	m, err := backup.Restore(ctx, *in, *data)
	if err != nil {
		return err
	}
	dir := absDir(*data)
	fmt.Printf("restored: %s (%d files, %d bytes, as of %s, from %s)\n", dir, len(m.Entries), m.Size(),
		m.SnapshotAt.Format("2006-01-02T15:04:05.000Z07:00"), m.Source)
	fmt.Printf("start it with: %s dev --data %s\n", selfCommand(), dir)
	return nil
}

// programVersion names this build for a backup's manifest.
func programVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "shaobao"
	}
	v := "shaobao " + bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			v += " " + s.Value
		}
	}
	return v
}
