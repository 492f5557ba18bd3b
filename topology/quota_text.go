package topology

import (
	"math"
	"strconv"
)

// QuotaValueText prints a quota value with its unit: "10485760 (10MiB/s)",
// "50%"; "(not set)" for nil.
func QuotaValueText(key string, v *float64) string {
	if v == nil {
		return "(not set)"
	}
	s := strconv.FormatFloat(*v, 'f', -1, 64)
	switch key {
	case QuotaConsumerByteRate, QuotaProducerByteRate:
		if h := Humanize("retention.bytes", s); h != "" {
			return s + " (" + h + "/s)"
		}
		return s + " bytes/s"
	case QuotaRequestPercentage:
		return s + "%"
	case QuotaControllerMutationRate:
		return s + "/s"
	}
	return s
}

// YAMLNumber returns v as an int64 when it is whole (YAML would otherwise
// print 1.048576e+07), as a float64 otherwise, and nil for nil.
func YAMLNumber(v *float64) any {
	if v == nil {
		return nil
	}
	if f := *v; f == math.Trunc(f) && math.Abs(f) < 1<<62 {
		return int64(f)
	}
	return *v
}
