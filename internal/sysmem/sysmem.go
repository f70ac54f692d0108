// Package sysmem says how much memory the machine has, so that jobs too
// large for it are refused before anything is allocated.
package sysmem

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// Physical is the machine's memory in bytes (MemTotal of /proc/meminfo;
// 8 GB when unknown).
func Physical() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 8 << 30
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) >= 2 && fs[0] == "MemTotal:" {
			if kb, err := strconv.ParseInt(fs[1], 10, 64); err == nil {
				return kb << 10
			}
		}
	}
	return 8 << 30
}
