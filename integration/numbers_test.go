package integration

import (
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shaobao/shaobao/worktime"
)

// TestAPICaseNumbers: through the real workflow, each filing gets the next
// number of the China day, fixed in the case (the workflow copies it from
// its input, so the projection and every later answer carry it); the case
// opens by its number, the list finds it by q, and a filing repeated with
// its Idempotency-Key keeps its number; the nearby list suggests the first
// case to a duplicate at the same spot.
func TestAPICaseNumbers(t *testing.T) {
	a := newAPIEnv(t)
	day := time.Now().In(worktime.Location).Format("20060102")
	shape := regexp.MustCompile(`^` + day + `-[0-9]{5}$`)

	first := a.must("c1-secretary", "POST", "/api/v1/cases", jointBody, 201)
	second := a.must("c1-secretary", "POST", "/api/v1/cases", jointBody, 201)
	n1, n2 := first["number"].(string), second["number"].(string)
	require.Regexp(t, shape, n1)
	require.Equal(t, day+"-00001", n1)
	require.Equal(t, day+"-00002", n2)

	byNumber := a.must("c1-secretary", "GET", "/api/v1/cases/"+n1, "", 200)
	require.Equal(t, first["id"], byNumber["id"])
	require.Equal(t, n1, a.getCase(first["id"].(string))["number"], "the read model keeps the number")
	list := a.must("c1-secretary", "GET", "/api/v1/cases?q="+n2, "", 200)
	require.EqualValues(t, 1, list["total"])

	keyed := a.fileWithKey("numbers-key")
	again := a.fileWithKey("numbers-key")
	require.Equal(t, keyed, again)
	require.Equal(t, day+"-00003", a.getCase(keyed)["number"])
	third := a.must("c1-secretary", "POST", "/api/v1/cases", jointBody, 201)
	require.Equal(t, day+"-00004", third["number"], "the repeated key burnt no number")

	near := a.must("c1-secretary", "GET", "/api/v1/cases/nearby?lat=39.9504&lon=116.41", "", 200)
	items := near["items"].([]any)
	require.Len(t, items, 4, "the four cases at 和平里酒吧街, 44 m away")
	require.InDelta(t, 44.5, items[0].(map[string]any)["distance_m"], 1)
}
