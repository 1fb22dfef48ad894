package data

// MMARCOName is the English name mMARCO's files use for a language
// ("german" for "de", "dutch" for "nl"; see ReadMMARCO's layout), and
// whether mMARCO has that language.
func MMARCOName(lang string) (string, bool) {
	n, ok := mmarcoNames[NormalizeLang(lang)]
	return n, ok
}
