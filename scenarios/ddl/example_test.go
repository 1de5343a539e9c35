package ddl_test

import (
	"fmt"

	"github.com/regionsim/regionsim/scenarios/ddl"
)

func ExampleParse() {
	s, err := ddl.Parse([]byte(`
CREATE DATABASE movr PRIMARY REGION "us-east1" REGIONS "us-west1", "europe-west1";
ALTER DATABASE movr SURVIVE REGION FAILURE;
CREATE TABLE users (id UUID PRIMARY KEY, city STRING, crdb_region crdb_internal_region AS (
  CASE WHEN city IN ('new york', 'boston') THEN 'us-east1' WHEN city = 'seattle' THEN 'us-west1' ELSE 'europe-west1' END
) STORED) LOCALITY REGIONAL BY ROW AS crdb_region;
INSERT INTO users VALUES (gen_random_uuid(), 'boston');
`), "movr.sql")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Database.Regions, s.Database.Survival)
	u := s.Tables[0]
	fmt.Println(u.Name, u.Locality, u.CityRegions["seattle"], u.DefaultRegion, s.Ignored)

	_, err = ddl.Parse([]byte("ALTER DATABASE movr PRIMARY REGION a;\nDROP TABLE users;"), "bad.sql")
	fmt.Println(err)
	// Output:
	// [us-east1 us-west1 europe-west1] region
	// users regional-by-row us-west1 europe-west1 [{INSERT 7}]
	// bad.sql:2: `DROP TABLE users`: unsupported statement: DROP TABLE (regionsim reads CREATE/ALTER DATABASE and CREATE/ALTER TABLE; it skips only INSERT, UPSERT, UPDATE, DELETE, SELECT, SHOW, EXPLAIN, SET, USE, CREATE INDEX)
}
