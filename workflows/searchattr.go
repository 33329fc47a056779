package workflows

import (
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
)

// Typed search attributes kept current on every case, so the Temporal CLI
// and UI can list cases. No personal data goes in them.
var (
	AttrClass       = temporal.NewSearchAttributeKeyKeyword("ShaobaoClass")
	AttrStatus      = temporal.NewSearchAttributeKeyKeyword("ShaobaoStatus")
	AttrLevel       = temporal.NewSearchAttributeKeyKeyword("ShaobaoLevel")
	AttrOrgPath     = temporal.NewSearchAttributeKeyKeyword("ShaobaoOrgPath")
	AttrOverdue     = temporal.NewSearchAttributeKeyBool("ShaobaoOverdue")
	AttrNextDue     = temporal.NewSearchAttributeKeyTime("ShaobaoNextDeadline")
	AttrPendingDept = temporal.NewSearchAttributeKeyKeywordList("ShaobaoPendingDepartments")
)

// SearchAttributes is what a namespace must register before cases run.
var SearchAttributes = map[string]enumspb.IndexedValueType{
	AttrClass.GetName():       enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	AttrStatus.GetName():      enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	AttrLevel.GetName():       enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	AttrOrgPath.GetName():     enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	AttrOverdue.GetName():     enumspb.INDEXED_VALUE_TYPE_BOOL,
	AttrNextDue.GetName():     enumspb.INDEXED_VALUE_TYPE_DATETIME,
	AttrPendingDept.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST,
}

// TaskQueue is the task queue of the whistle workflow and its activities.
const TaskQueue = "shaobao"
