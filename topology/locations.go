package topology

import "math"

// Location is where a cloud region is: the place its provider names for it
// and that place's coordinates. It is good to some tens of kilometres,
// which is all NearestRegion needs: cloud regions of one metro are within a
// few milliseconds of each other, regions of different metros hundreds of
// kilometres apart.
type Location struct {
	// Place is the metro or area the provider names ("Frankfurt").
	Place string
	// Lat and Lon are the place's latitude and longitude, degrees.
	Lat, Lon float64
}

// regionLocations holds the location of every region of the aws, gcp and
// azure presets (and so of crdb-demo, roachprod and seed-blog, whose regions
// are GCP's and AWS's). AWS and GCP publish a place per region, not
// coordinates (AWS "Regions and Availability Zones", Google Cloud "Regions
// and zones"): the coordinates are that place's, to 0.01°. Azure publishes
// coordinates per region (`az account list-locations`), used as given.
var regionLocations = map[string]Location{
	// GCP
	"asia-east1":              {"Changhua County, Taiwan", 24.05, 120.52},
	"asia-east2":              {"Hong Kong", 22.32, 114.17},
	"asia-northeast1":         {"Tokyo", 35.68, 139.69},
	"asia-northeast2":         {"Osaka", 34.69, 135.50},
	"asia-south1":             {"Mumbai", 19.08, 72.88},
	"asia-southeast1":         {"Jurong West, Singapore", 1.34, 103.71},
	"australia-southeast1":    {"Sydney", -33.87, 151.21},
	"europe-north1":           {"Hamina, Finland", 60.57, 27.20},
	"europe-west1":            {"St. Ghislain, Belgium", 50.47, 3.82},
	"europe-west2":            {"London", 51.51, -0.13},
	"europe-west3":            {"Frankfurt", 50.11, 8.68},
	"europe-west4":            {"Eemshaven, Netherlands", 53.44, 6.83},
	"europe-west6":            {"Zürich", 47.38, 8.54},
	"northamerica-northeast1": {"Montréal", 45.50, -73.57},
	"southamerica-east1":      {"Osasco (São Paulo)", -23.53, -46.79},
	"us-central1":             {"Council Bluffs, Iowa", 41.26, -95.86},
	"us-east1":                {"Moncks Corner, South Carolina", 33.20, -80.01},
	"us-east4":                {"Ashburn, Virginia", 39.04, -77.49},
	"us-west1":                {"The Dalles, Oregon", 45.59, -121.18},
	"us-west2":                {"Los Angeles", 34.05, -118.24},
	// AWS
	"af-south-1":     {"Cape Town", -33.92, 18.42},
	"ap-east-1":      {"Hong Kong", 22.32, 114.17},
	"ap-east-2":      {"Taipei", 25.03, 121.57},
	"ap-northeast-1": {"Tokyo", 35.68, 139.69},
	"ap-northeast-2": {"Seoul", 37.57, 126.98},
	"ap-northeast-3": {"Osaka", 34.69, 135.50},
	"ap-south-1":     {"Mumbai", 19.08, 72.88},
	"ap-south-2":     {"Hyderabad", 17.39, 78.49},
	"ap-southeast-1": {"Singapore", 1.35, 103.82},
	"ap-southeast-2": {"Sydney", -33.87, 151.21},
	"ap-southeast-3": {"Jakarta", -6.21, 106.85},
	"ap-southeast-4": {"Melbourne", -37.81, 144.96},
	"ap-southeast-5": {"Kuala Lumpur", 3.14, 101.69},
	"ap-southeast-7": {"Bangkok", 13.76, 100.50},
	"ca-central-1":   {"Montréal", 45.50, -73.57},
	"ca-west-1":      {"Calgary", 51.05, -114.07},
	"eu-central-1":   {"Frankfurt", 50.11, 8.68},
	"eu-central-2":   {"Zürich", 47.38, 8.54},
	"eu-north-1":     {"Stockholm", 59.33, 18.07},
	"eu-south-1":     {"Milan", 45.46, 9.19},
	"eu-south-2":     {"Aragón (Zaragoza), Spain", 41.65, -0.88},
	"eu-west-1":      {"Dublin", 53.35, -6.26},
	"eu-west-2":      {"London", 51.51, -0.13},
	"eu-west-3":      {"Paris", 48.86, 2.35},
	"il-central-1":   {"Tel Aviv", 32.09, 34.78},
	"me-central-1":   {"United Arab Emirates (Dubai)", 25.20, 55.27},
	"me-south-1":     {"Bahrain (Manama)", 26.23, 50.59},
	"mx-central-1":   {"Querétaro, Mexico", 20.59, -100.39},
	"sa-east-1":      {"São Paulo", -23.55, -46.63},
	"us-east-1":      {"Northern Virginia (Ashburn)", 39.04, -77.49},
	"us-east-2":      {"Ohio (Columbus)", 39.96, -83.00},
	"us-west-1":      {"Northern California (San Jose)", 37.34, -121.89},
	"us-west-2":      {"Oregon (Boardman)", 45.84, -119.70},
	// Azure
	"australiaeast":      {"New South Wales", -33.86, 151.2094},
	"brazilsouth":        {"São Paulo State", -23.55, -46.633},
	"canadacentral":      {"Toronto", 43.653, -79.383},
	"centralus":          {"Iowa", 41.5908, -93.6208},
	"eastasia":           {"Hong Kong", 22.267, 114.188},
	"eastus":             {"Virginia", 37.3719, -79.8164},
	"eastus2":            {"Virginia", 36.6681, -78.3889},
	"francecentral":      {"Paris", 46.3772, 2.3730},
	"germanywestcentral": {"Frankfurt", 50.110924, 8.682127},
	"japaneast":          {"Tokyo, Saitama", 35.68, 139.77},
	"northeurope":        {"Ireland", 53.3478, -6.2597},
	"southcentralus":     {"Texas", 29.4167, -98.5},
	"southeastasia":      {"Singapore", 1.283, 103.833},
	"uksouth":            {"London", 50.941, -0.799},
	"westeurope":         {"Netherlands", 52.3667, 4.9},
	"westus2":            {"Washington", 47.233, -119.852},
	"westus3":            {"Phoenix", 33.448376, -112.074036},
}

// RegionLocation returns the location of a cloud region of the aws, gcp or
// azure preset by name, and whether it is known.
func RegionLocation(region string) (Location, bool) {
	l, ok := regionLocations[region]
	return l, ok
}

// earthRadiusKm is the mean radius of the Earth (IUGG), km.
const earthRadiusKm = 6371.0

// DistanceKm returns the great-circle distance between a and b in
// kilometres (haversine formula on a sphere of the Earth's mean radius).
func DistanceKm(a, b Location) float64 {
	rad := math.Pi / 180
	dLat := (b.Lat - a.Lat) * rad
	dLon := (b.Lon - a.Lon) * rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) +
		math.Cos(a.Lat*rad)*math.Cos(b.Lat*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadiusKm * math.Asin(math.Min(1, math.Sqrt(h)))
}

// NearestMaxKm is the farthest NearestRegion looks: 1,500 km, a couple of
// times the distance between neighbouring regions of one provider (Iowa to
// Ohio, Frankfurt to Paris), and a tenth of an ocean. A region with nothing
// closer has no counterpart whose round trips would describe the same
// geography.
const NearestMaxKm = 1500.0

// NearestRegion returns the region of candidates nearest to region, and
// its distance in kilometres. ok is false when region has no known location
// or no candidate with one lies within NearestMaxKm. Ties go to the earlier
// candidate. O(len(candidates)).
func NearestRegion(region string, candidates []string) (nearest string, km float64, ok bool) {
	from, known := RegionLocation(region)
	if !known {
		return "", 0, false
	}
	best := math.Inf(1)
	for _, c := range candidates {
		to, known := RegionLocation(c)
		if !known {
			continue
		}
		if d := DistanceKm(from, to); d < best {
			nearest, best = c, d
		}
	}
	if best > NearestMaxKm {
		return "", 0, false
	}
	return nearest, best, true
}
