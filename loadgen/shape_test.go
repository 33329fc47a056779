package loadgen

import (
	"slices"
	"strings"
	"testing"

	"github.com/shaobao/shaobao/workflows"
)

func TestShapeFollowsScenario(t *testing.T) {
	if n := DemoJoint.Updates(); n != 8 {
		t.Fatalf("the demo joint lifecycle takes %d Updates, want 8 (filing, 2 reports, 2 feedbacks, verify, 2 evaluations)", n)
	}
	three := DemoJoint
	three.Clerks = append(slices.Clone(DemoJoint.Clerks), Clerk{"s1-fire", "s1-fire"})
	if n := three.Updates(); n != 11 {
		t.Fatalf("three departments: %d Updates, want 11", n)
	}
	var got []string
	for _, p := range three.Shape() {
		got = append(got, p.Update)
		if (p.Update == workflows.UpdateReport || p.Update == workflows.UpdateFeedback) != p.Parallel {
			t.Errorf("%s: parallel %v; clerks report and feed back at once, everything else is one after another", p.Update, p.Parallel)
		}
	}
	want := []string{workflows.UpdateFiled, workflows.UpdateReport, workflows.UpdateFeedback, workflows.UpdateVerify, workflows.UpdateEvaluate}
	if !slices.Equal(got, want) {
		t.Fatalf("shape %v, want %v", got, want)
	}
}

// lifecycleHistory is a joint lifecycle's Updates as a history holds them,
// each with sizes of its own.
func lifecycleHistory() HistoryUpdates {
	return HistoryUpdates{WorkflowID: "case-x", StartInput: 1500, Updates: []HistoryUpdate{
		{workflows.UpdateFiled, 60, 3000},
		{workflows.UpdateReport, 110, 3400}, {workflows.UpdateReport, 111, 3500},
		{workflows.UpdateFeedback, 300, 4000}, {workflows.UpdateFeedback, 301, 4100},
		{workflows.UpdateVerify, 150, 4500},
		{workflows.UpdateEvaluate, 200, 5000}, {workflows.UpdateEvaluate, 201, 5200},
	}}
}

func TestShapeOfTakesEachUpdatesSizes(t *testing.T) {
	b, err := ShapeOf(DemoJoint.Shape(), lifecycleHistory())
	if err != nil {
		t.Fatal(err)
	}
	if b.Updates() != 8 || b.StartInput != 1500 {
		t.Fatalf("%d Updates, start input %d; want 8 and 1500", b.Updates(), b.StartInput)
	}
	var ins, outs []int
	for _, p := range b.Phases {
		if len(p.Inputs) != p.Count || len(p.Results) != p.Count {
			t.Fatalf("%s: %d inputs and %d results for %d Updates", p.Update, len(p.Inputs), len(p.Results), p.Count)
		}
		ins, outs = append(ins, p.Inputs...), append(outs, p.Results...)
	}
	if want := []int{60, 110, 111, 300, 301, 150, 200, 201}; !slices.Equal(ins, want) {
		t.Errorf("input sizes %v, want %v", ins, want)
	}
	if want := []int{3000, 3400, 3500, 4000, 4100, 4500, 5000, 5200}; !slices.Equal(outs, want) {
		t.Errorf("result sizes %v, want %v", outs, want)
	}
	if want := []string{"filed", "report", "feedback", "verify", "evaluate"}; !slices.Equal(b.Names(), want) {
		t.Errorf("names %v, want %v", b.Names(), want)
	}

	short := lifecycleHistory()
	short.Updates = short.Updates[:7] // the second evaluation is missing
	if _, err := ShapeOf(DemoJoint.Shape(), short); err == nil || !strings.Contains(err.Error(), "evaluate") {
		t.Fatalf("a history without the second evaluation: err %v, want one naming the evaluate Update", err)
	}
}

func TestPaddedHitsTheSize(t *testing.T) {
	for _, size := range []int{40, 41, 777, 4096} {
		u, err := padded(size, func(pad string) BareUpdate { return BareUpdate{Result: 5123, Pad: pad} })
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := encodedSize(u); n != size {
			t.Errorf("padded to %d: encodes to %d bytes", size, n)
		}
	}
	// Smaller than the struct itself: no padding at all.
	u, _ := padded(3, func(pad string) BareUpdate { return BareUpdate{Result: 1, Pad: pad} })
	if u.Pad != "" {
		t.Errorf("padded to 3 bytes: pad %q, want none", u.Pad)
	}
}
