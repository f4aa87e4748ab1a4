/// EVSECore re-exports Parameters, the lowest pure target: its value helpers (`PhaseValues`, `trimmedWhitespace`) were
/// EVSECore's before the registry moved below it, and every target above uses them through EVSECore.
@_exported import Parameters
