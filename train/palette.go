package train

import "image/color"

var colors = []color.RGBA{{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255}, {148, 103, 189, 255}}

func palette(i int) color.Color { return colors[i%len(colors)] }
