[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
// Fixtures run side by side; namespace fixtures let their tests do so too (NamespaceTest).
// How many at once is run-all.sh's choice (NUnit.NumberOfTestWorkers); this is the default.
[assembly: Parallelizable(ParallelScope.Fixtures)]
[assembly: LevelOfParallelism(8)]
