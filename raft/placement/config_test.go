package placement

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseSpellings(t *testing.T) {
	for _, s := range []string{"zone", "region"} {
		v, err := ParseSurvival(s)
		require.NoError(t, err)
		assert.Equal(t, s, v.String())
	}
	for _, s := range []string{"default", "restricted"} {
		v, err := ParsePlacement(s)
		require.NoError(t, err)
		assert.Equal(t, s, v.String())
	}
	for _, s := range []string{"regional-by-table", "regional-by-row", "global", "none"} {
		v, err := ParseLocality(s)
		require.NoError(t, err)
		assert.Equal(t, s, v.String())
	}
	// Empty spellings are the defaults.
	sv, err := ParseSurvival("")
	require.NoError(t, err)
	assert.Equal(t, SurvivalZone, sv)
	pv, err := ParsePlacement("")
	require.NoError(t, err)
	assert.Equal(t, PlacementDefault, pv)
	lv, err := ParseLocality("")
	require.NoError(t, err)
	assert.Equal(t, Locality(""), lv)
	assert.Equal(t, LocalityRegionalByTable, lv.resolve(DefaultDatabase(threeRegions...)))
	assert.Equal(t, LocalityNone, lv.resolve(Database{}))

	for _, bad := range []struct {
		parse func() error
		want  string
	}{
		{func() error { _, err := ParseSurvival("Zone"); return err }, `placement: database.survival: unknown "Zone"`},
		{func() error { _, err := ParsePlacement("home"); return err }, `placement: database.placement: unknown "home"`},
		{func() error { _, err := ParseLocality("regional"); return err }, `placement: locality: unknown "regional"`},
	} {
		err := bad.parse()
		require.ErrorIs(t, err, ErrUnknownValue)
		assert.Contains(t, err.Error(), bad.want)
	}
}

// TestRefusals has one row per configuration CockroachDB refuses; each error
// must wrap the sentinel and name the field and the value.
func TestRefusals(t *testing.T) {
	two := []string{regA, regB}
	tests := []struct {
		name    string
		db      Database
		loc     Locality
		home    string
		want    error
		mention []string
	}{
		{"region survival with 2 regions", dbWith(two, SurvivalRegion, "", ""), "", "",
			ErrTooFewRegions, []string{"database.survival", `"region"`, "2 regions"}},
		{"region survival with 1 region", dbWith([]string{regA}, SurvivalRegion, "", ""), "", "",
			ErrTooFewRegions, []string{"database.survival", "1 regions"}},
		{"restricted with region survival", dbWith(threeRegions, SurvivalRegion, PlacementRestricted, ""), "", "",
			ErrRestrictedRegionSurvival, []string{"database.placement", `"restricted"`, `"region"`}},
		{"unknown primary", Database{Regions: threeRegions, Primary: "mars"}, "", "",
			ErrUnknownRegion, []string{"database.primary_region", `"mars"`}},
		{"unknown secondary", dbWith(threeRegions, "", "", "mars"), "", "",
			ErrUnknownRegion, []string{"database.secondary_region", `"mars"`}},
		{"unknown home region", DefaultDatabase(threeRegions...), LocalityRegionalByTable, "mars",
			ErrUnknownRegion, []string{"home_region", `"mars"`}},
		{"unknown partition region", DefaultDatabase(threeRegions...), LocalityRegionalByRow, regD,
			ErrUnknownRegion, []string{"home_region", `"` + regD + `"`}},
		{"secondary is primary", dbWith(threeRegions, "", "", regA), "", "",
			ErrSecondaryIsPrimary, []string{"database.secondary_region", `"` + regA + `"`}},
		{"duplicate region", Database{Regions: []string{regA, regB, regA}, Primary: regA}, "", "",
			ErrDuplicateRegion, []string{"database.regions[2]", `"` + regA + `"`}},
		{"empty region name", Database{Regions: []string{regA, ""}, Primary: regA}, "", "",
			ErrInvalid, []string{"database.regions[1]"}},
		{"regions without primary", Database{Regions: threeRegions}, "", "",
			ErrNoPrimaryRegion, []string{"database.primary_region", regB}},
		{"unknown survival", dbWith(threeRegions, "regoin", "", ""), "", "",
			ErrUnknownValue, []string{"database.survival", `"regoin"`}},
		{"unknown placement", dbWith(threeRegions, "", "home", ""), "", "",
			ErrUnknownValue, []string{"database.placement", `"home"`}},
		{"unknown locality", DefaultDatabase(threeRegions...), "regional", "",
			ErrUnknownValue, []string{"locality", `"regional"`}},
		{"regional locality without multi-region", Database{}, LocalityRegionalByTable, "",
			ErrNotMultiRegion, []string{"locality", `"regional-by-table"`}},
		{"global without multi-region", Database{}, LocalityGlobal, "",
			ErrNotMultiRegion, []string{"locality", `"global"`}},
		{"region survival without multi-region", Database{Survival: SurvivalRegion}, LocalityNone, "",
			ErrNotMultiRegion, []string{"database.survival", `"region"`}},
		{"restricted without multi-region", Database{Placement: PlacementRestricted}, LocalityNone, "",
			ErrNotMultiRegion, []string{"database.placement", `"restricted"`}},
		{"secondary without multi-region", Database{Secondary: regB}, LocalityNone, "",
			ErrNotMultiRegion, []string{"database.secondary_region", `"` + regB + `"`}},
		{"global homed outside primary", DefaultDatabase(threeRegions...), LocalityGlobal, regB,
			ErrHomeRegionNotAllowed, []string{"home_region", `"` + regB + `"`, `"global"`}},
		{"none with a home region", DefaultDatabase(threeRegions...), LocalityNone, regB,
			ErrHomeRegionNotAllowed, []string{"home_region", `"` + regB + `"`, `"none"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := SpecFor(tt.db, tt.loc, tt.home)
			require.ErrorIs(t, err, tt.want)
			assert.True(t, strings.HasPrefix(err.Error(), "placement: "), err.Error())
			for _, m := range tt.mention {
				assert.Contains(t, err.Error(), m)
			}
			// Database-level refusals come from Validate as well.
			if dbErr := tt.db.Validate(); dbErr != nil {
				assert.True(t, errors.Is(dbErr, tt.want), "Validate: %v", dbErr)
			}
		})
	}
}

func TestValidConfigsAccepted(t *testing.T) {
	for _, db := range []Database{
		{},
		DefaultDatabase(regA),
		DefaultDatabase(regA, regB),
		dbWith(threeRegions, SurvivalRegion, "", ""),
		dbWith(threeRegions, SurvivalRegion, "", regB),
		dbWith(threeRegions, SurvivalZone, PlacementRestricted, regC),
		{Regions: []string{regC, regA, regB}, Primary: regA}, // primary need not be first
	} {
		assert.NoError(t, db.Validate(), "%+v", db)
	}
}

func TestTableSpecValidate(t *testing.T) {
	db := DefaultDatabase(threeRegions...)
	require.NoError(t, TableSpec{Name: "t", Locality: LocalityRegionalByTable, HomeRegion: regB}.Validate(db))
	require.NoError(t, TableSpec{Name: "t"}.Validate(db))
	require.NoError(t, TableSpec{Name: "t"}.Validate(Database{}))

	err := TableSpec{Name: "users", Locality: LocalityRegionalByRow, HomeRegion: regB}.Validate(db)
	require.ErrorIs(t, err, ErrHomeRegionNotAllowed)
	assert.Contains(t, err.Error(), `placement: table "users": home_region: "us-west1"`)

	err = TableSpec{Name: "users", Locality: "regional", Ranges: 3}.Validate(db)
	require.ErrorIs(t, err, ErrUnknownValue)
	assert.Contains(t, err.Error(), `placement: table "users": locality: unknown "regional"`)

	err = TableSpec{Name: "users", Ranges: -1}.Validate(db)
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "ranges")

	err = TableSpec{Name: "users", Locality: LocalityRegionalByTable, HomeRegion: "mars"}.Validate(db)
	require.ErrorIs(t, err, ErrUnknownRegion)

	err = TableSpec{Name: "users", Locality: LocalityGlobal}.Validate(Database{})
	require.ErrorIs(t, err, ErrNotMultiRegion)
}

func TestWithClusterRegions(t *testing.T) {
	c := newCluster(t, threeRegions, 3, 1)
	db := Database{Primary: regB}.WithClusterRegions(c)
	assert.Equal(t, threeRegions, db.Regions)
	require.NoError(t, db.Validate())

	// Explicit regions and non-multi-region databases are left alone.
	explicit := Database{Regions: []string{regB, regA}, Primary: regB}
	assert.Equal(t, explicit, explicit.WithClusterRegions(c))
	assert.Equal(t, Database{}, Database{}.WithClusterRegions(c))
}
