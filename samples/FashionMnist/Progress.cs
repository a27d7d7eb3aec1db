using System.Diagnostics;
using Spectre.Console;

namespace FashionMnistSample;

/// <summary>
/// Per-epoch progress: a live Spectre.Console bar (images/s, loss, ETA) on a terminal, plain
/// lines every few seconds when the output is redirected (CI logs, files).
/// </summary>
internal sealed class Progress
{
    private readonly bool _interactive = !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    public void RunEpoch(string title, int totalImages, Action<Action<int, double>> body)
    {
        var clock = Stopwatch.StartNew();
        if (_interactive)
        {
            AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                         new RemainingTimeColumn(), new SpinnerColumn())
                .Start(ctx =>
                {
                    ProgressTask task = ctx.AddTask(title, maxValue: totalImages);
                    body((images, loss) =>
                    {
                        task.Increment(images);
                        task.Description = $"{title}  loss {loss:F4}  {task.Value / clock.Elapsed.TotalSeconds:F0} img/s";
                    });
                });
            return;
        }
        int done = 0;
        double nextReport = 5;
        body((images, loss) =>
        {
            done += images;
            double t = clock.Elapsed.TotalSeconds;
            if (t >= nextReport || done >= totalImages)
            {
                nextReport = t + 5;
                double rate = done / Math.Max(t, 1e-9);
                double eta = (totalImages - done) / Math.Max(rate, 1e-9);
                Console.WriteLine($"{title}: {done}/{totalImages} images, loss {loss:F4}, {rate:F0} img/s, ETA {eta:F0} s");
            }
        });
    }
}
