package api_test

import (
	"net/url"
	"slices"
	"sort"
	"testing"

	"tsunagu/api"
	"tsunagu/internal/care"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// searchFixture: two facilities with staff in every state, names in
// katakana and hiragana kana, and who asks.
type searchFixture struct {
	h                        *harness
	clinic, station          string
	yamada, yamaguchi, satou store.User // clinic: doctor, nurse, nurse (hiragana kana)
	suspended, revoked       store.User // clinic
	stationNurse             store.User // station
	clinicAdmin, net         store.User
	plain                    *client // a station nurse
	clinicAdminC, netC       *client
}

func newSearchFixture(t *testing.T, engine string) *searchFixture {
	h := newHarness(t, engine)
	f := &searchFixture{h: h, clinic: h.mustFacility(care.KindClinic), station: h.mustFacility(care.KindNursingStation)}
	named := func(name, kana, login string) func(*store.User) {
		return func(u *store.User) { u.Name, u.NameKana, u.LoginID = name, kana, login }
	}
	f.yamada = h.mustUser(f.clinic, care.ProfDoctor, named("山田 太郎", "ヤマダ タロウ", "dr.yamada"))
	f.yamaguchi = h.mustUser(f.clinic, care.ProfNurse, named("山口 花子", "ヤマグチ ハナコ", "ns.hanako"))
	f.satou = h.mustUser(f.clinic, care.ProfNurse, named("佐藤 一郎", "さとう いちろう", "ns.satou"))
	f.suspended = h.mustUser(f.clinic, care.ProfNurse, named("山本 休止", "ヤマモト キュウシ", "ns.yamamoto"), func(u *store.User) { u.Status = care.StatusSuspended })
	f.revoked = h.mustUser(f.clinic, care.ProfDoctor, named("山川 失効", "ヤマカワ シッコウ", "dr.yamakawa"), func(u *store.User) { u.Status = care.StatusRevoked })
	f.stationNurse = h.mustUser(f.station, care.ProfNurse, named("山下 訪問", "ヤマシタ ホウモン", "ns.yamashita"))
	f.clinicAdmin = h.mustUser(f.clinic, care.ProfOther, named("事務 管理", "ジム カンリ", "clinic.admin"), func(u *store.User) { u.FacilityAdmin = true })
	f.net = h.mustUser("", care.ProfOther, named("事務局 管理", "ジムキョク カンリ", "net.admin"), func(u *store.User) { u.NetworkAdmin = true })
	f.plain, f.clinicAdminC, f.netC = h.signIn(f.stationNurse), h.signIn(f.clinicAdmin), h.signIn(f.net)
	return f
}

// search answers GET /users with query as c, failing the test unless 200.
func (f *searchFixture) search(t *testing.T, c *client, query url.Values) []api.UserOut {
	t.Helper()
	var out struct{ Users []api.UserOut }
	c.must(200, "GET", "/api/v1/users?"+query.Encode(), nil).json(t, &out)
	return out.Users
}

func ids(us []api.UserOut) []string {
	out := []string{}
	for _, u := range us {
		out = append(out, u.ID)
	}
	sort.Strings(out)
	return out
}

func idsOf(us ...store.User) []string {
	out := []string{}
	for _, u := range us {
		out = append(out, u.ID)
	}
	sort.Strings(out)
	return out
}

func TestStaffSearch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		f := newSearchFixture(t, engine)
		q := func(kv ...string) url.Values {
			v := url.Values{}
			for i := 0; i < len(kv); i += 2 {
				v.Set(kv[i], kv[i+1])
			}
			return v
		}
		cases := []struct {
			name  string
			c     *client
			query url.Values
			want  []string
		}{
			// each filter alone, as the network office (which sees every state)
			{"name", f.netC, q("q", "山田"), idsOf(f.yamada)},
			{"name part", f.netC, q("q", "山"), idsOf(f.yamada, f.yamaguchi, f.suspended, f.revoked, f.stationNurse)},
			{"name without its space", f.netC, q("q", "山田太郎"), idsOf(f.yamada)},
			{"two words, any order", f.netC, q("q", "花子 山口"), idsOf(f.yamaguchi)},
			{"katakana kana", f.netC, q("q", "ヤマダ"), idsOf(f.yamada)},
			{"hiragana finds katakana kana", f.netC, q("q", "やまぐち"), idsOf(f.yamaguchi)},
			{"katakana finds hiragana kana", f.netC, q("q", "サトウ イチロウ"), idsOf(f.satou)},
			{"login id", f.netC, q("q", "dr.yama"), idsOf(f.yamada, f.revoked)},
			{"login id in capitals", f.netC, q("q", "NS.HANAKO"), idsOf(f.yamaguchi)},
			{"wildcards are literal", f.netC, q("q", "%"), []string{}},
			{"underscore is literal", f.netC, q("q", "ns_"), []string{}},
			{"facility", f.netC, q("facility_id", f.station), idsOf(f.stationNurse)},
			{"profession", f.netC, q("profession", care.ProfDoctor), idsOf(f.yamada, f.revoked)},
			{"status", f.netC, q("status", care.StatusSuspended), idsOf(f.suspended)},
			{"status revoked", f.netC, q("status", care.StatusRevoked), idsOf(f.revoked)},
			// combined
			{"name and profession", f.netC, q("q", "山", "profession", care.ProfNurse), idsOf(f.yamaguchi, f.suspended, f.stationNurse)},
			{"name, profession, facility", f.netC, q("q", "やま", "profession", care.ProfNurse, "facility_id", f.clinic), idsOf(f.yamaguchi, f.suspended)},
			{"name, facility, status", f.netC, q("q", "ヤマ", "facility_id", f.clinic, "status", care.StatusActive), idsOf(f.yamada, f.yamaguchi)},
			// staff who manage no one: active staff only, no login ids
			{"plain: name", f.plain, q("q", "山"), idsOf(f.yamada, f.yamaguchi, f.stationNurse)},
			{"plain: other states are empty", f.plain, q("status", care.StatusSuspended), []string{}},
			{"plain: revoked is empty", f.plain, q("status", care.StatusRevoked), []string{}},
			{"plain: login ids of others are not searched", f.plain, q("q", "dr.yamada"), []string{}},
			// the clinic's admin: own facility's staff in any state, their
			// login ids; others active only, without login ids
			{"facility admin: name", f.clinicAdminC, q("q", "山"), idsOf(f.yamada, f.yamaguchi, f.suspended, f.revoked, f.stationNurse)},
			{"facility admin: own login ids", f.clinicAdminC, q("q", "ns."), idsOf(f.yamaguchi, f.satou, f.suspended)},
			{"facility admin: other facility's state", f.clinicAdminC, q("status", care.StatusSuspended, "facility_id", f.station), []string{}},
			{"facility admin: network admin's login id", f.clinicAdminC, q("q", "net.admin"), []string{}},
		}
		for _, c := range cases {
			if got := ids(f.search(t, c.c, c.query)); !slices.Equal(got, c.want) {
				t.Errorf("%s (%s): got %v, want %v", c.name, c.query.Encode(), got, c.want)
			}
		}

		// What each sees of each account: login ids and state only of
		// those they manage (and of themselves); the facility's name.
		for _, c := range []struct {
			name    string
			c       *client
			managed []string
		}{
			{"network admin", f.netC, idsOf(f.yamada, f.yamaguchi, f.satou, f.suspended, f.revoked, f.stationNurse, f.clinicAdmin, f.net)},
			{"facility admin", f.clinicAdminC, idsOf(f.yamada, f.yamaguchi, f.satou, f.suspended, f.revoked, f.clinicAdmin)},
			{"plain", f.plain, idsOf(f.stationNurse)},
		} {
			for _, u := range f.search(t, c.c, url.Values{}) {
				full := slices.Contains(c.managed, u.ID)
				if (u.LoginID != "") != full || (u.LastActiveAt != nil) != full {
					t.Errorf("%s sees %s with login id %q, last active %v; managed %v", c.name, u.Name, u.LoginID, u.LastActiveAt, full)
				}
				if !full && u.Status != care.StatusActive {
					t.Errorf("%s sees %s in state %s", c.name, u.Name, u.Status)
				}
				want := "テスト施設"
				if u.FacilityID == "" {
					want = ""
				}
				if u.FacilityName != want {
					t.Errorf("%s: facility name of %s = %q", c.name, u.Name, u.FacilityName)
				}
			}
		}

		// The limit, in kana order.
		got := f.search(t, f.netC, q("q", "ヤマ", "limit", "2"))
		if len(got) != 2 || got[0].NameKana != "ヤマカワ シッコウ" || got[1].NameKana != "ヤマグチ ハナコ" {
			t.Errorf("limit 2: %+v", got)
		}
		// Bad input: the field and the rule.
		for _, bad := range []url.Values{q("limit", "0"), q("limit", "501"), q("status", "gone"), q("profession", "wizard"), q("facility_id", "x")} {
			if r := f.netC.do("GET", "/api/v1/users?"+bad.Encode(), nil); r.status != 422 || r.code() != care.CodeValidation {
				t.Errorf("%s: %d %s", bad.Encode(), r.status, r.body)
			}
		}
	})
}

// TestKanaScripts: the conversions the search relies on.
func TestKanaScripts(t *testing.T) {
	for in, want := range map[string]string{"やまだ たろう": "ヤマダ タロウ", "ゔぁ": "ヴァ", "ヤマダ": "ヤマダ", "山田a": "山田a", "ゝゞ": "ヽヾ"} {
		if got := store.ToKatakana(in); got != want {
			t.Errorf("ToKatakana(%q) = %q, want %q", in, got, want)
		}
		if got := store.ToHiragana(want); got != store.ToHiragana(in) || store.ToKatakana(got) != want {
			t.Errorf("ToHiragana(%q) = %q", want, got)
		}
	}
	if got := store.ToHiragana("ヤマダ ー・"); got != "やまだ ー・" {
		t.Errorf("ToHiragana: %q", got)
	}
}
