package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shaobao/shaobao/loadgen"
	"github.com/shaobao/shaobao/media/mediatest"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
)

// TestBackupWhileDevRunsRestoresMidCase backs up `shaobao dev` with
// `shaobao backup` while it runs and other cases are being filed, in the
// middle of a joint lifecycle (both departments reported), stops it,
// restores the archive into a new folder with `shaobao restore` and
// finishes the case on a dev server started there: feedback, verify,
// evaluate, closed, its timeline 1..n once each. The photo uploaded before
// the backup is served byte for byte, the tokens issued before it still
// sign in, and the newest case the restored read model shows has a
// workflow that takes its next step. Restore refuses a non-empty folder.
func TestBackupWhileDevRunsRestoresMidCase(t *testing.T) {
	start := time.Now()
	dev := startDev(t)
	st := openStore(t, dev.dsn())
	api := apiClient(t, st, dev.url)
	s := loadgen.DemoJoint

	photo := mediatest.JPEG(640, 480, mediatest.Exif{TakenAt: "2026:12:03 08:00:00", Lat: 39.95, Lon: 116.41})
	photoID := uploadFile(t, api, s.Filer, photo)
	photoBefore := getFile(t, api, s.Filer, photoID)

	var kase whistle.Case
	send(t, api, s.File("backup-mid-case"), &kase)
	send(t, api, s.Report(kase, 0), nil)
	send(t, api, s.Report(kase, 1), nil)

	// Writers keep going while the backup runs: cases filed one after the
	// other until the backup is done.
	var filed atomic.Int64
	stop, loadDone := make(chan struct{}), make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				loadDone <- nil
				return
			default:
			}
			if err := sendErr(api, s.File("backup-load-"+strconv.Itoa(i)), nil); err != nil {
				loadDone <- err
				return
			}
			filed.Add(1)
		}
	}()
	eventually(t, time.Minute, "cases are being filed", func() (bool, string) {
		return filed.Load() >= 2, fmt.Sprintf("%d filed", filed.Load())
	})

	archive := filepath.Join(t.TempDir(), "shaobao-backup.tar.gz")
	out := shaobao(t, "backup", "--data", dev.dir, "--out", archive)
	close(stop)
	if err := <-loadDone; err != nil {
		t.Fatalf("filing while the backup ran: %v", err)
	}
	t.Logf("%s (%d cases filed alongside, %s in)", strings.TrimSpace(out), filed.Load(), time.Since(start).Round(time.Millisecond))
	if !strings.Contains(out, "shaobao.db") || !strings.Contains(out, "temporal/temporal.db") {
		t.Fatalf("the backup does not name both databases: %s", out)
	}
	dev.stop()

	// The running server's folder is not empty: restore refuses it.
	if out, err := exec.Command(binary, "restore", "--in", archive, "--data", dev.dir).CombinedOutput(); err == nil || !strings.Contains(string(out), "not empty") {
		t.Fatalf("restore into the non-empty %s: err %v, output %s", dev.dir, err, out)
	}
	restoredDir := filepath.Join(t.TempDir(), "restored")
	t.Log(strings.TrimSpace(shaobao(t, "restore", "--in", archive, "--data", restoredDir)))

	restored := startDevAt(t, restoredDir)
	st2 := openStore(t, restored.dsn())
	// The tokens of the backed-up database sign in on the restored one.
	api2 := &loadgen.Client{Base: restored.url, Tokens: api.Tokens, HTTP: loadgen.NewHTTPClient(4)}

	if got := getFile(t, api2, s.Filer, photoID); !bytes.Equal(got, photoBefore) {
		t.Fatalf("restored photo %s: %d bytes, want the %d served before the backup", photoID, len(got), len(photoBefore))
	}

	send(t, api2, s.Feedback(kase, 0), nil)
	send(t, api2, s.Feedback(kase, 1), nil)
	send(t, api2, s.Verify(kase), nil)
	send(t, api2, s.Evaluate(kase, 0), nil)
	send(t, api2, s.Evaluate(kase, 1), nil)
	checkClosed(t, api2, kase.ID)

	// The case filed nearest the backup's instant: the read model and the
	// workflow were copied at the same moment, so it takes a report.
	var newest store.CaseRow
	if err := st2.DB.Where("id <> ?", kase.ID).Order("created_at DESC").First(&newest).Error; err != nil {
		t.Fatalf("newest case of the restored read model: %v", err)
	}
	last := getCase(t, api2, newest.ID)
	send(t, api2, s.Report(last, 0), nil)
	eventually(t, time.Minute, "the newest restored case shows the report", func() (bool, string) {
		c := getCase(t, api2, newest.ID)
		for _, e := range c.Timeline {
			if e.Type == whistle.EventReported {
				return true, ""
			}
		}
		return false, fmt.Sprintf("status %s, %d timeline entries", c.Status, len(c.Timeline))
	})
	t.Logf("case %s closed on the restored folder; newest restored case %s took a report; %s in all", kase.ID, newest.ID, time.Since(start).Round(time.Millisecond))
}

// shaobao runs the binary under test to completion and returns its output.
func shaobao(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("shaobao %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// startDevAt is startDev on a data folder the test gives.
func startDevAt(t *testing.T, dir string) *devServer {
	t.Helper()
	d := &devServer{dir: dir}
	httpPort, temporalPort := freePort(t), freePort(t)
	d.url = "http://127.0.0.1:" + strconv.Itoa(httpPort)
	d.temporal = "127.0.0.1:" + strconv.Itoa(temporalPort)
	d.proc = startProc(t, "dev-"+filepath.Base(dir), nil, "dev", "--data", d.dir, "--addr", "127.0.0.1:"+strconv.Itoa(httpPort),
		"--temporal-port", strconv.Itoa(temporalPort), "--log-level", "warn")
	waitReady(t, d.proc, d.url)
	return d
}

// uploadFile uploads data as user's photo and returns its id.
func uploadFile(t *testing.T, api *loadgen.Client, user string, data []byte) string {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	fw, err := w.CreateFormFile("file", "IMG_0001.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest("POST", api.Base+"/api/v1/files", &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+api.Tokens[user])
	var f struct {
		ID string `json:"id"`
	}
	if err := doJSON(req, http.StatusCreated, &f); err != nil {
		t.Fatalf("upload: %v", err)
	}
	return f.ID
}

// getFile downloads an uploaded file as user.
func getFile(t *testing.T, api *loadgen.Client, user, id string) []byte {
	t.Helper()
	req, err := http.NewRequest("GET", api.Base+"/api/v1/files/"+id, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+api.Tokens[user])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET file %s: %v", id, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET file %s: %d %v %s", id, res.StatusCode, err, raw)
	}
	return raw
}

func doJSON(req *http.Request, want int, out any) error {
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != want {
		return fmt.Errorf("%s %s: %d %s", req.Method, req.URL.Path, res.StatusCode, raw)
	}
	return json.Unmarshal(raw, out)
}
