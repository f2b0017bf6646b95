"""Every option of unreid, defined once: type, default (the paper's Market-1501 settings), range, help.

Precedence when a run is configured: these defaults, then each ``--config`` YAML in order
(a packaged YAML holds only what differs from here), then ``--set section.key=value``.
The sections are frozen-free dataclasses so the loader can fill them, and the engine
takes them as typed keyword arguments (``cluster=config.cluster``); nothing below the CLI
parses YAML or strings. Choices are ``Enum``s owned by the component that acts on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from unreid.clustering.cluster_algorithm import ClusterAlgorithm
from unreid.clustering.eps_policy import EpsPolicy, scheduled_eps
from unreid.clustering.neighbourhood_sizes import NeighbourhoodPolicy
from unreid.clustering.pseudo_labels import JaccardMethod
from unreid.config.option import option
from unreid.data.folder_layout import FolderLayout
from unreid.data.image_bank import BadFilePolicy
from unreid.engine.amp_mode import AmpMode
from unreid.engine.inference_engine import InferenceEngine
from unreid.generator.generator_kind import GeneratorKind
from unreid.losses.multilevel_contrastive import ExtremeMode, PositivePool


def _dataset_names() -> tuple[str, ...]:
    from unreid.data.registry import DATASET_NAMES

    return tuple(DATASET_NAMES)


# The plug-in points' registries are read when a value is checked, not imported here (they import this module).
def _optimizer_names() -> tuple[str, ...]:
    from unreid.engine.optimizers import optimizer_names

    return optimizer_names()


def _scheduler_names() -> tuple[str, ...]:
    from unreid.engine.lr_schedulers import scheduler_names

    return scheduler_names()


def _sampler_names() -> tuple[str, ...]:
    from unreid.engine.batch_samplers import sampler_names

    return sampler_names()


def _labeller_names() -> tuple[str, ...]:
    from unreid.engine.pseudo_labeller import LABELLERS

    return LABELLERS.names()


def _mixer_names() -> tuple[str, ...]:
    from unreid.generator.batch_mixers import mixer_names

    return mixer_names()


def _memory_names() -> tuple[str, ...]:
    from unreid.memory.registry import memory_names

    return memory_names()


@dataclass
class DataConfig:
    dataset: str = option("market1501", "data set layout: market1501 | msmt17 | folder | synthetic",
                          choices=_dataset_names)
    root: str = option("data/market1501", "data set folder (folder: the training crops)")
    height: int = option(256, "input height in pixels", low=16)
    width: int = option(128, "input width in pixels", low=8)
    folder_layout: FolderLayout = option(
        FolderLayout.AUTO, "folder: how crops are named: auto | market (0002_c1s1_x.jpg) | tracker "
        "(cam1_track11_frame004101.jpg) | camera_folders (cam1/x.jpg, c3/, camera_3/) | flat (img_00000.jpg)")
    folder_pattern: str = option("", "folder: regex on file names with optional groups cam, pid, track "
                                     "('' = from folder_layout)")
    folder_camera_level: int = option(0, "folder: N >= 1: the N-th folder below each folder names the camera, "
                                         "whatever its name (0 = a folder named like cam3/, c3/, camera_3/)", low=0)
    folder_query: str = option("", "folder: query crops, for evaluation (with folder_gallery)")
    folder_gallery: str = option("", "folder: gallery crops, for evaluation (with folder_query)")
    synthetic_identities: int = option(120, "synthetic: number of identities", low=4)
    synthetic_seed: int = option(0, "synthetic: seed of the generated tree")
    synthetic_camera_strength: float = option(
        0.0, "synthetic: 0 = cameras differ only in layout/blur/noise, 1 = full colour casts", low=0.0, high=1.0)
    device_resident: bool = option(True, "decode once into a uint8 tensor on the training device")
    max_train_images: int = option(0, ">0: only the first N training images in file order (quick runs)", low=0)
    bad_files: BadFilePolicy = option(BadFilePolicy.SKIP, "unreadable images: skip (listed) | error (stop the run)")


@dataclass
class ModelConfig:
    backbone: str = option("resnet50", "any timm model name, e.g. resnet50, resnet18, resnet10t")
    pretrained: str = option("", "ImageNet weights: a file with the backbone's key names, 'imagenet' = the backbone's "
                                 "cached weights (`unreid weights --name BACKBONE`), 'market1501' = warm start from "
                                 "that ready model's full embedding weights (`unreid weights --list`), '' = none")
    pretrained_download: bool = option(False, "timm's own download, where the network allows")
    stride_in_1x1: bool = option(False, "ResNet v1 layout (Keras-converted weights)")
    last_stride_one: bool = option(True, "no stride in the last stage (ResNets): 2x larger final feature map")
    embedding_dim: int = option(0, "linear projection after pooling (0 = none)", low=0)
    gem_p: float = option(3.0, "generalised-mean pooling exponent", low=0.0, high=100.0, low_open=True)
    samples_per_bn: int = option(64, "BatchNorm statistics over groups of this many images (ghost BN; 0 = plain BN)",
                                 low=0)


@dataclass
class ClusterConfig:
    """k-reciprocal Jaccard distance + DBSCAN (Cluster Contrast's defaults), or Infomap."""

    algorithm: ClusterAlgorithm = option(
        ClusterAlgorithm.DBSCAN, "dbscan: k-reciprocal Jaccard + DBSCAN | infomap: kNN similarity graph + Infomap "
        "(pip install 'unreid[infomap]')")
    k1: int = option(30, "k-reciprocal neighbours", low=1)
    k2: int = option(6, "query expansion neighbours (<= k1)", low=1)
    eps: float = option(0.6, "DBSCAN radius on the Jaccard distance", low=0.0, high=1.0, low_open=True, high_open=True)
    min_samples: int = option(4, "DBSCAN core-point neighbourhood size", low=1)
    method: JaccardMethod = option(JaccardMethod.SPARSE, "Jaccard implementation: sparse | dense")
    eps_policy: EpsPolicy = option(
        EpsPolicy.FIXED, "fixed: eps | schedule: eps_start -> eps over eps_epochs | auto: from the distances (rho rule) | "
        "cross_camera: each epoch the radius with the most clusters spanning two or more cameras (label-free)")
    eps_start: float = option(0.6, "schedule: eps at epoch 0", low=0.0, high=1.0, low_open=True, high_open=True)
    eps_epochs: int = option(0, "schedule: epochs to reach eps", low=0)
    auto_rho: float = option(1.6e-3, "auto: eps = mean of the smallest rho fraction of pairwise distances",
                             low=0.0, high=1.0, low_open=True)
    neighbours: NeighbourhoodPolicy = option(
        NeighbourhoodPolicy.FIXED, "fixed: k1, k2, min_samples as set | auto: scaled to the number of training images "
        "(k1 = sqrt(N)/4 in [3, 30]; see unreid.clustering.neighbourhood_sizes)")
    camera_centering: bool = option(False, "subtract each camera's mean feature before clustering")
    tracklets: bool = option(True, "crops of one track (the folder data set's 'track' group) are clustered as one "
                                   "unit, so never split (unreid.clustering.tracklets); no effect without tracks")
    infomap_k: int = option(15, "infomap: nearest neighbours linked per image", low=1)
    infomap_min_similarity: float = option(0.6, "infomap: weakest cosine similarity that makes a link",
                                           low=0.0, high=1.0)
    infomap_min_size: int = option(2, "infomap: modules smaller than this are outliers", low=1)
    labeller: str = option("clustering", "what makes each epoch's pseudo-labels, by registered name "
                                         "(unreid.engine.pseudo_labeller): clustering = Jaccard + cluster.algorithm",
                           choices=_labeller_names)
    oracle: bool = option(False, "diagnostics only: ground-truth identities instead of clustering (supervised "
                                 "upper bound of the same recipe; overrides cluster.labeller)")

    def eps_for(self, epoch: int) -> float:
        """DBSCAN's eps at ``epoch`` (``auto`` derives it later, from the distances)."""
        if self.eps_policy is EpsPolicy.SCHEDULE:
            return scheduled_eps(epoch=epoch, start=self.eps_start, end=self.eps, epochs=self.eps_epochs)
        return self.eps


@dataclass
class LossConfig:
    temperature: float = option(0.05, "softmax temperature of every level", low=0.0, high=10.0, low_open=True)
    centroid: bool = option(True, "centroid level: the query against every cluster centroid")
    intra: bool = option(True, "intra-class level: the farthest sample of the query's own cluster")
    inter: bool = option(True, "inter-class level: the hardest sample of every other cluster")
    centroid_weight: float = option(1.0, "weight of the centroid level", low=0.0, high=1e6)
    intra_weight: float = option(1.0, "weight of the intra-class level", low=0.0, high=1e6)
    inter_weight: float = option(1.0, "weight of the inter-class level", low=0.0, high=1e6)
    momentum: float = option(0.1, "centroid memory momentum", low=0.0, high=1.0)
    instance_momentum: float = option(0.1, "instance memory momentum", low=0.0, high=1.0)
    intra_mode: ExtremeMode = option(
        ExtremeMode.QUERY, "query: farthest from the query | centroid: farthest from its own centroid")
    inter_mode: ExtremeMode = option(
        ExtremeMode.QUERY, "query: hardest for the query | centroid: each cluster's farthest from its centroid")
    positive_pool: PositivePool = option(
        PositivePool.ALL, "intra positives from: all | core (DBSCAN core points) | batch (members in the batch) | "
        "other_camera (members from another camera than the query's)")
    camera_entropy_weight: bool = option(
        False, "weight each query by exp(entropy of its cluster's cameras), mean 1 per batch (3C)")
    instance_memory: str = option(
        "all", "the memory, by registered name (unreid.memory.registry); farthest/hardest samples from: all (one "
        "momentum feature per image) | per_cluster (HHCL: K features per cluster, overwritten by each batch)",
        choices=_memory_names)
    instances_per_cluster: int = option(16, "per_cluster: K features kept per cluster", low=1)
    ramp_start: int = option(0, "first epoch with the intra/inter levels on", low=0)
    ramp_epochs: int = option(0, "epochs to ramp them to full weight", low=0)


@dataclass
class GeneratorTrainingConfig:
    """``unreid generator train``: the StarGAN-style camera-style generator (no identity labels)."""

    steps: int = option(20_000, "optimisation steps", low=1)
    batch_size: int = option(32, "images per step", low=2)
    height: int = option(128, "working height (a multiple of 16; images are resized)", low=16)
    width: int = option(64, "working width (a multiple of 16)", low=16)
    channels: int = option(64, "generator and discriminator width", low=1)
    residual: int = option(6, "residual blocks of the generator", low=0)
    lr: float = option(1e-4, "Adam learning rate", low=0.0, high=1.0, low_open=True)
    lambda_cls: float = option(1.0, "camera classification loss weight", low=0.0, high=1e6)
    lambda_cycle: float = option(10.0, "cycle reconstruction loss weight", low=0.0, high=1e6)
    lambda_identity: float = option(5.0, "identity mapping loss weight", low=0.0, high=1e6)
    sample_every: int = option(1000, "sample grid every N steps (0: never)", low=0)
    checkpoint_every: int = option(1000, "resumable checkpoint every N steps (0: only at the end)", low=0)


@dataclass
class GeneratorConfig:
    enabled: bool = option(True, "false = no generated images whatever the kind")
    kind: GeneratorKind = option(GeneratorKind.COLOR, "none | color (fitted in-process) | learned (needs generated_dir)")
    per_image: int = option(1, "color, fitted in-process: target cameras per image", low=0)
    generated_dir: str = option("", "a folder written by `unreid generator render` (`unreid train --generated`)")
    batch_fraction: float = option(0.25, "share of every batch given to generated images (queries only)",
                                   low=0.0, high=1.0, high_open=True)
    levels: str = option("centroid,intra,inter", "loss levels whose queries include generated images")
    start_epoch: int = option(0, "first epoch with generated images", low=0)
    mixer: str = option("swap", "how generated images join a batch, by registered name (unreid.generator.batch_mixers):"
                                " swap = batch_fraction of its rows swapped for the same pseudo-identities' generated "
                                "images", choices=_mixer_names)
    training: GeneratorTrainingConfig = field(default_factory=GeneratorTrainingConfig)


@dataclass
class TrainConfig:
    epochs: int = option(50, "epochs (0: evaluate the initial model only)", low=0)
    iterations: int = option(200, "P x K batches per epoch", low=1)
    num_identities: int = option(16, "P: pseudo-identities per batch", low=1)
    num_instances: int = option(16, "K: images per pseudo-identity", low=1)
    optimizer: str = option("adam", "the optimiser, by registered name (unreid.engine.optimizers): adam = Adam with "
                                    "lr and weight_decay", choices=_optimizer_names)
    lr: float = option(3.5e-4, "learning rate", low=0.0, high=1.0, low_open=True)
    weight_decay: float = option(5e-4, "weight decay (L2)", low=0.0, high=1.0)
    lr_scheduler: str = option("step", "the learning-rate schedule, stepped after each epoch, by registered name "
                                       "(unreid.engine.lr_schedulers): step = lr_gamma every lr_step epochs",
                               choices=_scheduler_names)
    lr_step: int = option(20, "step schedule: epochs per learning-rate step", low=1)
    lr_gamma: float = option(0.1, "step schedule: learning-rate factor at each step", low=0.0, high=1.0, low_open=True)
    sampler: str = option("pk", "the batch sampler, by registered name (unreid.engine.batch_samplers): pk = "
                                "num_identities x num_instances", choices=_sampler_names)
    seed: int = option(0, "seed of every random choice (same seed, same numbers)", low=0, high=2**32 - 1)
    device: str = option("auto", "auto | cpu | cuda | cuda:N")
    amp: AmpMode = option(AmpMode.AUTO, "mixed precision: auto (bf16 on CUDA) | bf16 | fp16 (loss-scaled) | none")
    channels_last: bool = option(True, "channels-last memory layout")
    compile: bool = option(False, "torch.compile the model (about 90 s once)")
    eval_every: int = option(10, "evaluate every N epochs (0: only at the end)", low=0)
    threads: int = option(0, "torch CPU threads (0 = torch's default)", low=0)
    camera_aware: bool = option(False, "P x K sampler: an identity's K images span its cameras")
    teacher_momentum: float = option(
        0.0, "mean teacher: EMA momentum (e.g. 0.999) of a model copy that is clustered, evaluated and saved (0 = off)",
        low=0.0, high=1.0, high_open=True)
    save_features: bool = option(False, "each epoch's training features (float16 .npy) in OUTPUT_DIR/features")
    keep_checkpoints: int = option(0, "also keep every N-th epoch's model as epoch_NNN.pth (0 = none; best.pth, "
                                      "chosen by the label-free score, is always kept)", low=0)


@dataclass
class EvalConfig:
    rerank: bool = option(False, "k-reciprocal re-ranking of the evaluation distances")
    batch_size: int = option(256, "images per forward pass when extracting", low=1)
    grid_queries: int = option(6, "queries shown in the ranked-list grids", low=0)
    engine: InferenceEngine = option(
        InferenceEngine.AUTO, "engine of every inference pass (each epoch's extraction, the evaluation): auto "
        "(onnxruntime for a full-precision CPU model when installed, else torch) | torch | onnxruntime")


@dataclass
class RunConfig:
    output_dir: str = option("runs/default", "folder for checkpoints, metrics, plots and the resolved config")
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    generator: GeneratorConfig = field(default_factory=GeneratorConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
