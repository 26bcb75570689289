namespace Safehold.Bench;

/// <summary>Safehold's benchmarks. Results and the commands that produced them: bench/README.md and docs/benchmarks.md.</summary>
public static class BenchProgram
{
    public static async Task<int> Main(string[] args)
    {
        var command = args.FirstOrDefault() ?? "help";
        int Option(string name, int fallback)
        {
            var i = Array.IndexOf(args, "--" + name);
            return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
        }

        string? Text(string name)
        {
            var i = Array.IndexOf(args, "--" + name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }

        switch (command)
        {
            case "sweep":
                // --disputes N sweeps N disputes' return deadlines instead of N orders' auto-completions.
                return await SweepBenchmark.RunAsync(Option("disputes", 0) is > 0 and var disputes ? disputes : Option("orders", 100_000), Option("batch", 500), Option("apart-ms", 1), Option("warmup", 5_000), Text("seed-cache"), Option("sellers", 1),
                    disputes: Option("disputes", 0) > 0, reference: args.Contains("--reference"));
            case "load":
                return await LoadBenchmark.MainAsync(args);
            default:
                Console.WriteLine("""
                    usage: dotnet run -c Release --project bench/Safehold.Bench -- <command> [options]
                      sweep [--orders 100000] [--batch 500] [--apart-ms 1] [--warmup 5000] [--sellers 1] [--seed-cache FILE] [--disputes N] [--reference]
                                                            due auto-completions processed per second (SQLite); orders
                                                            placed 1 ms apart (0: all at one instant); the host warmed
                                                            up on 5000 other due orders first (0: a cold host); the
                                                            orders spread over that many sellers; the seeded
                                                            database is kept in FILE and reused when it exists;
                                                            --disputes N: N disputed orders (return and refund,
                                                            accepted) whose return deadlines are swept instead;
                                                            --reference: every batch written by EF Core's writer
                    """ + LoadOptions.Usage);
                return command == "help" ? 0 : 2;
        }
    }
}
