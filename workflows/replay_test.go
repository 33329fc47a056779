package workflows_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/shaobao/shaobao/workflows"
)

// Every recorded history in testdata/ (written by
// `go test ./integration -run TestRecordHistories -record`) must replay
// against the current workflow code. A failure here means a change would
// break running cases: put it behind workflow.GetVersion, or record anew
// if no case of the old shape can be running.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files, "no recorded histories in testdata/")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflowWithOptions(workflows.Whistle, workflow.RegisterOptions{Name: workflows.WorkflowName})
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(log.NewStructuredLogger(discard), f))
		})
	}
}
