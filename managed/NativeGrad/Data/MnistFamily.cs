using System.Net;
using System.Reflection;
using System.Security.Cryptography;

namespace NativeGrad.Data;

/// <summary>
/// Finds, downloads and reads an MNIST-format dataset. Search order: the caller's root, the system
/// directories (Debian installs Fashion-MNIST in /usr/share/datasets/fashion-mnist), a download from
/// the official mirror with MD5 verification, and finally the subset embedded in the assembly.
/// </summary>
/// <remarks>
/// Files that are found but damaged are an error (they are never skipped silently). A failed download
/// (no network, timeout, HTTP error, wrong checksum) falls through to the next source; it is tried with
/// short timeouts so an offline machine does not wait. Set the environment variable
/// <c>NATIVEGRAD_OFFLINE=1</c> (or pass <c>download: false</c>) to skip it entirely.
/// </remarks>
internal sealed record MnistFamily(
    string Name,
    string CacheName,
    string[] SystemDirectories,
    string[] Mirrors,
    IReadOnlyDictionary<string, string> Md5,
    string? EmbeddedPrefix,
    string[] Classes)
{
    /// <summary>Connect timeout of a download attempt: offline machines fail within this.</summary>
    internal static TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Whole-request timeout of one file download.</summary>
    internal static TimeSpan DownloadTimeout { get; set; } = TimeSpan.FromMinutes(2);

    internal static string Stem(bool train, bool images) =>
        (train ? "train" : "t10k") + (images ? "-images-idx3-ubyte" : "-labels-idx1-ubyte");

    public MnistDataset Load(bool train, string? root, bool download, ITransform? transform)
    {
        var tried = new List<string>();
        string split = train ? "train" : "test";

        foreach (string dir in CandidateDirectories(root))
        {
            if (FindPair(dir, train) is { } pair)
                return Read(pair.Images, pair.Labels, dir, isSubset: false, message: null, transform);
            tried.Add(dir);
        }

        bool offline = Environment.GetEnvironmentVariable("NATIVEGRAD_OFFLINE") is "1" or "true";
        if (download && !offline && Mirrors.Length > 0)
        {
            string cache = root ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "nativegrad", CacheName);
            string? failure = TryDownload(cache, train);
            if (failure is null && FindPair(cache, train) is { } pair)
                return Read(pair.Images, pair.Labels, cache, isSubset: false, message: null, transform);
            tried.Add($"download ({failure})");
        }
        else
        {
            tried.Add(offline ? "download (skipped: NATIVEGRAD_OFFLINE is set)" : "download (disabled)");
        }

        if (EmbeddedPrefix is not null)
        {
            string message = $"{Name}: the full dataset was not found (tried: {string.Join("; ", tried)}); " +
                             $"using the small subset embedded in NativeGrad ({split} split). " +
                             $"Install it (Debian: apt-get install dataset-fashion-mnist) or pass root: for full accuracy.";
            return ReadEmbedded(train, message, transform);
        }
        throw new FileNotFoundException(
            $"{Name} {split} files ({Stem(train, true)}[.gz], {Stem(train, false)}[.gz]) were not found. Tried: {string.Join("; ", tried)}.");
    }

    private IEnumerable<string> CandidateDirectories(string? root)
    {
        if (root is not null)
        {
            // torchvision's layout (root/FashionMNIST/raw) and plain folders are both accepted.
            yield return root;
            yield return Path.Combine(root, CacheName);
            yield return Path.Combine(root, Name.Replace("-", ""), "raw");
        }
        foreach (string d in SystemDirectories) yield return d;
    }

    private static (string Images, string Labels)? FindPair(string dir, bool train)
    {
        string? images = FindFile(dir, Stem(train, true));
        string? labels = FindFile(dir, Stem(train, false));
        return images is not null && labels is not null ? (images, labels) : null;
    }

    private static string? FindFile(string dir, string stem)
    {
        foreach (string name in new[] { stem + ".gz", stem, stem.Replace("-idx", ".idx") })
        {
            string p = Path.Combine(dir, name);
            if (File.Exists(p)) return p;
        }
        return null;
    }

    private MnistDataset Read(string imagesPath, string labelsPath, string source, bool isSubset, string? message, ITransform? transform)
    {
        (IdxArray images, IdxArray labels) = IdxReader.ReadImagesAndLabels(imagesPath, labelsPath, Classes.Length);
        return Create(images, labels, source, isSubset, message, transform);
    }

    private MnistDataset Create(IdxArray images, IdxArray labels, string source, bool isSubset, string? message, ITransform? transform) =>
        new(images.Data, labels.Data, images.Dimensions[1], images.Dimensions[2], Classes, source, isSubset, message)
        {
            Transform = transform,
        };

    internal MnistDataset ReadEmbedded(bool train, string? message, ITransform? transform)
    {
        Assembly asm = typeof(MnistFamily).Assembly;
        IdxArray Open(string stem)
        {
            string resource = EmbeddedPrefix + stem + ".gz";
            using Stream s = asm.GetManifestResourceStream(resource)
                ?? throw new FileNotFoundException($"The embedded resource {resource} is missing from {asm.GetName().Name}.");
            return IdxReader.Read(s, "embedded:" + stem + ".gz");
        }
        IdxArray images = Open(Stem(train, true));
        IdxArray labels = Open(Stem(train, false));
        IdxReader.CheckImagesAndLabels(images, labels, Classes.Length);
        return Create(images, labels, "embedded subset", isSubset: true, message, transform);
    }

    /// <summary>Downloads the split's two files into <paramref name="dir"/>; returns null on success, else why it failed.</summary>
    private string? TryDownload(string dir, bool train)
    {
        try
        {
            Directory.CreateDirectory(dir);
            using var handler = new SocketsHttpHandler { ConnectTimeout = ConnectTimeout, AutomaticDecompression = DecompressionMethods.None };
            using var http = new HttpClient(handler) { Timeout = DownloadTimeout };
            foreach (bool images in new[] { true, false })
            {
                string file = Stem(train, images) + ".gz";
                string target = Path.Combine(dir, file);
                if (File.Exists(target)) continue;
                string? error = null;
                foreach (string mirror in Mirrors)
                {
                    error = TryFetch(http, mirror + file, target, Md5[file]);
                    if (error is null) break;
                }
                if (error is not null) return error;
            }
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot write to {dir}: {e.Message}";
        }
    }

    private static string? TryFetch(HttpClient http, string url, string target, string md5)
    {
        string partial = target + ".part";
        try
        {
            using (HttpResponseMessage response = http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead).GetAwaiter().GetResult())
            {
                if (!response.IsSuccessStatusCode) return $"{url}: HTTP {(int)response.StatusCode}";
                using Stream body = response.Content.ReadAsStream();
                using FileStream file = File.Create(partial);
                body.CopyTo(file);
            }
            string actual = Convert.ToHexStringLower(MD5.HashData(File.ReadAllBytes(partial)));
            if (actual != md5)
            {
                File.Delete(partial);
                return $"{url}: MD5 {actual} does not match the published {md5}";
            }
            File.Move(partial, target, overwrite: true);
            return null;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            try { File.Delete(partial); } catch (IOException) { }
            return $"{url}: {e.Message}";
        }
    }
}
