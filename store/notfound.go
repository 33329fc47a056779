package store

import "github.com/shaobao/shaobao/whistle"

// NotFound is the not_found error the store answers for a missing row of
// what ("case", "task", ...) named key. The API answers the same error for
// a row the caller may not see, so a refusal cannot tell the two apart.
func NotFound(what, key string) error {
	return &whistle.Error{Code: whistle.ENotFound, Message: whatZH(what) + "不存在：" + key, MessageEN: what + " not found: " + key}
}
