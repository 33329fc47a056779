package integration

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/server/common/dynamicconfig"

	"github.com/shaobao/shaobao/media/mediatest"
	"github.com/shaobao/shaobao/store/storetest"
)

const filesPublicURL = "https://shaobao.example.gov.cn"

// upload posts data as user's photo and returns its id.
func (a *apiEnv) upload(user string, data []byte) string {
	a.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, err := w.CreateFormFile("file", "IMG_0001.jpg")
	require.NoError(a.t, err)
	fw.Write(data)
	require.NoError(a.t, w.Close())
	r := a.call(user, "POST", "/api/v1/files", buf.String(), "Content-Type", w.FormDataContentType())
	require.Equal(a.t, 201, r.Status, r.Raw)
	return r.Body["id"].(string)
}

// fileStatus is the status of GET path as user.
func (a *apiEnv) fileStatus(user, path string) int {
	a.t.Helper()
	req, err := http.NewRequest("GET", a.srv.URL+path, nil)
	require.NoError(a.t, err)
	req.Header.Set("Authorization", "Bearer "+a.token(user))
	res, err := http.DefaultClient.Do(req)
	require.NoError(a.t, err)
	defer res.Body.Close()
	io.Copy(io.Discard, res.Body)
	return res.StatusCode
}

// TestAPIFiles: a grid worker files with a photo, a clerk gives feedback
// with before/after photos, an Open311 client attaches its upload by
// media_url; whoever may see the case sees the files, a user of another
// district gets 404 for every one of them. Through the real workflow and
// projection, as the binary wires them.
func TestAPIFiles(t *testing.T) {
	e := newEnv(t, dynamicconfig.StaticClient{})
	storetest.MustSeedDemo(t, e.st)
	e.app.Config.PublicURL = filesPublicURL
	a := serveAPI(e)

	photo := a.upload("g1-worker", mediatest.JPEG(1024, 768, mediatest.Exif{TakenAt: "2026:12:02 08:00:00", Lat: 39.95, Lon: 116.41, Orientation: 6}))
	c := a.must("g1-worker", "POST", "/api/v1/cases", `{"title":"占道经营","source":"grid","class":"routine","department_ids":["s1-citymgmt"],
		"location":{"address":"和平里东街 3 号","lat":39.95,"lon":116.41},"photos":["`+photo+`"]}`, 201)
	id := c["id"].(string)
	require.Equal(t, []any{photo}, c["photos"], "the filed case's photos")
	require.Equal(t, []any{photo}, a.getCase(id)["photos"], "the projected case's photos")

	taskID := c["tasks"].([]any)[0].(map[string]any)["id"].(string)
	a.must("s1-citymgmt", "POST", "/api/v1/tasks/"+taskID+"/report", "", 200)
	before := a.upload("s1-citymgmt", mediatest.JPEG(640, 480, mediatest.Exif{}))
	after := a.upload("s1-citymgmt", mediatest.PNG(640, 480, mediatest.Exif{}))
	task := a.must("s1-citymgmt", "POST", "/api/v1/tasks/"+taskID+"/feedback",
		`{"result":"已清理","evidence_files":["`+after+`"],"before_files":["`+before+`"]}`, 200)
	fb := task["feedback"].(map[string]any)
	require.Equal(t, []any{after}, fb["evidence_files"])
	require.Equal(t, []any{before}, fb["before_files"])

	// Open311: the client's user uploads, then files with media_url.
	key := a.open311Key("c1-secretary")
	o311 := a.upload("c1-secretary", mediatest.WebP(mediatest.Exif{}))
	status, out := a.post311("api_key="+key, url.Values{"service_code": {"stalls"}, "lat": {"39.95"}, "long": {"116.41"},
		"description": {"占道经营"}, "media_url": {filesPublicURL + "/api/v1/files/" + o311}}, "")
	require.Equal(t, 201, status, out)
	o311Case := out[0]["service_request_id"].(string)
	require.Equal(t, []any{o311}, a.getCase(o311Case)["photos"])
	// Another user's upload by media_url is refused and files nothing.
	status, out = a.post311("api_key="+key, url.Values{"service_code": {"stalls"}, "lat": {"39.95"}, "long": {"116.41"},
		"media_url": {filesPublicURL + "/api/v1/files/" + photo}}, "")
	require.Equal(t, 422, status, out)

	for _, f := range []string{photo, before, after, o311} {
		for _, p := range []string{"/api/v1/files/" + f, "/api/v1/files/" + f + "/thumbnail"} {
			for user, want := range map[string]int{"d1-commander": 200, "city-commander": 200, "d2-supervisor": 404, "c3-secretary": 404} {
				require.Equal(t, want, a.fileStatus(user, p), "%s GET %s", user, p)
			}
		}
	}
	// The filer and the clerk see each other's photos of their case.
	require.Equal(t, 200, a.fileStatus("s1-citymgmt", "/api/v1/files/"+photo))
	require.Equal(t, 200, a.fileStatus("g1-worker", "/api/v1/files/"+after))
}
