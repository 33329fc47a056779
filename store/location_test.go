package store_test

import (
	"context"
	"testing"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
)

// TestAddressOnlyLocation: a case filed by address alone is projected
// with NULL lat and lon and read back without coordinates; the nearby
// query by a point skips it (it has no distance), by address finds it;
// a case at a point keeps its coordinates exactly.
func TestAddressOnlyLocation(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		addr := sampleCase("c-addr", 1, whistle.CaseOpen)
		addr.Category, addr.Location = "治安秩序", whistle.Location{Address: "东城区东长安街 1 号", GridID: "110101001001001"}
		point := sampleCase("c-point", 1, whistle.CaseOpen)
		point.Category, point.Location = "治安秩序", whistle.At("东城区东长安街 2 号", 39.9087, 116.3975)
		for _, c := range []whistle.Case{addr, point} {
			if err := s.ApplyCase(ctx, c, nil); err != nil {
				t.Fatal(err)
			}
		}
		var row store.CaseRow
		if err := s.DB.Where("id = ?", "c-addr").Take(&row).Error; err != nil {
			t.Fatal(err)
		}
		if row.Lat != nil || row.Lon != nil {
			t.Errorf("address-only row has lat %v lon %v, want NULL", row.Lat, row.Lon)
		}
		got, err := s.Case(ctx, "c-addr")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, ok := got.Location.Point(); ok || got.Location.Address != "东城区东长安街 1 号" || got.Location.GridID != "110101001001001" {
			t.Errorf("address-only case reads back as %+v", got.Location)
		}
		got, err = s.Case(ctx, "c-point")
		if err != nil {
			t.Fatal(err)
		}
		if lat, lon, ok := got.Location.Point(); !ok || lat != 39.9087 || lon != 116.3975 {
			t.Errorf("point case reads back as %+v", got.Location)
		}

		scope := store.Scope{PathPrefix: "/110000/"}
		near, err := s.NearbyCases(ctx, store.NearbyFilter{Scope: scope, Category: "治安秩序", HasPoint: true, Lat: 39.9087, Lon: 116.3975, RadiusM: 2000})
		if err != nil {
			t.Fatal(err)
		}
		if len(near) != 1 || near[0].ID != "c-point" {
			t.Errorf("nearby by point = %+v, want only c-point", near)
		}
		byAddr, err := s.NearbyCases(ctx, store.NearbyFilter{Scope: scope, Address: "东长安街 1 号"})
		if err != nil {
			t.Fatal(err)
		}
		if len(byAddr) != 1 || byAddr[0].ID != "c-addr" || byAddr[0].Location.Lat != nil {
			t.Errorf("nearby by address = %+v, want c-addr without coordinates", byAddr)
		}
	})
}
