package loadgen

import (
	"testing"
	"time"
)

func TestQuantiles(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	got := Quantiles(ds)
	want := Percentiles{N: 100, P50: 50 * time.Millisecond, P95: 95 * time.Millisecond, P99: 99 * time.Millisecond, Max: 100 * time.Millisecond}
	if got != want {
		t.Fatalf("Quantiles = %+v, want %+v", got, want)
	}
	if one := Quantiles([]time.Duration{7}); one.P50 != 7 || one.P99 != 7 {
		t.Fatalf("one sample: %+v", one)
	}
	if none := Quantiles(nil); none.N != 0 {
		t.Fatalf("no sample: %+v", none)
	}
}
