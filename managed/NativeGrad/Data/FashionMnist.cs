namespace NativeGrad.Data;

/// <summary>
/// Fashion-MNIST (Zalando): 28×28 grey images of 10 clothing classes, 60 000 for training and 10 000
/// for testing, in MNIST's IDX format.
/// </summary>
public static class FashionMnist
{
    /// <summary>Mean of the training pixels scaled to [0, 1].</summary>
    public const float Mean = 0.2860f;

    /// <summary>Standard deviation of the training pixels scaled to [0, 1].</summary>
    public const float Std = 0.3530f;

    /// <summary>The class names, indexed by label.</summary>
    public static IReadOnlyList<string> Classes => Family.Classes;

    internal static readonly MnistFamily Family = new(
        Name: "Fashion-MNIST",
        CacheName: "fashion-mnist",
        SystemDirectories: ["/usr/share/datasets/fashion-mnist"],
        Mirrors: ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"],
        // As published in the dataset's README.
        Md5: new Dictionary<string, string>
        {
            ["train-images-idx3-ubyte.gz"] = "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            ["train-labels-idx1-ubyte.gz"] = "25c81989df183df01b3e8a0aad5dffbe",
            ["t10k-images-idx3-ubyte.gz"] = "bef4ecab320f06d8554ea6380940ec79",
            ["t10k-labels-idx1-ubyte.gz"] = "bb300cfdad3c16e7a12a480ee83cd310",
        },
        EmbeddedPrefix: "NativeGrad.Data.FashionMnistSubset.",
        Classes: ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]);

    /// <summary>
    /// Loads the training or the test split. Looks in <paramref name="root"/> (files named like
    /// <c>train-images-idx3-ubyte.gz</c>, gzipped or raw, also under root/fashion-mnist or
    /// root/FashionMNIST/raw), then in /usr/share/datasets/fashion-mnist (Debian package
    /// <c>dataset-fashion-mnist</c>), then downloads from the official mirror into root (or
    /// ~/.cache/nativegrad/fashion-mnist) with MD5 verification, and when all of that fails uses the
    /// subset of 3000 training / 1000 test images embedded in NativeGrad: then
    /// <see cref="MnistDataset.IsSubset"/> is true and <see cref="MnistDataset.Message"/> says why.
    /// </summary>
    /// <param name="train">True for the training split, false for the test split.</param>
    /// <param name="root">A directory to look in (and to download to) first.</param>
    /// <param name="normalize">Normalise the images with <see cref="Mean"/> and <see cref="Std"/> (after <paramref name="transform"/>).</param>
    /// <param name="transform">Augmentation applied to each image scaled to [0, 1].</param>
    /// <param name="download">Try the download when no files are found (skipped also when NATIVEGRAD_OFFLINE=1).</param>
    /// <exception cref="InvalidDataException">Files were found but are truncated, corrupt or do not match.</exception>
    public static MnistDataset Load(bool train, string? root = null, bool normalize = false, ITransform? transform = null,
                                    bool download = true) =>
        Family.Load(train, root, download, Combine(transform, normalize ? new Normalize(Mean, Std) : null));

    /// <summary>The embedded subset itself (3000 training or 1000 test images, 10 classes balanced).</summary>
    public static MnistDataset LoadEmbeddedSubset(bool train, bool normalize = false, ITransform? transform = null) =>
        Family.ReadEmbedded(train, "Fashion-MNIST: the embedded subset was requested.",
                            Combine(transform, normalize ? new Normalize(Mean, Std) : null));

    internal static ITransform? Combine(ITransform? first, ITransform? second) =>
        first is null ? second : second is null ? first : new Compose(first, second);
}
