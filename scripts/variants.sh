# The named training variants of issue 7's experiments, as --set overrides on top of a config.
# Sourced by scripts/gpu_experiments.sh (market1501-dev on a GPU) and scripts/ablation_synthetic.sh (CPU).
# shellcheck disable=SC2034
declare -A variant=(
  [default]=""  # the configuration as shipped
  # the method as the paper has it, the default of --config market1501 until 2026-12-04 (measured on the H100):
  # three levels, no camera-entropy weight, colour-transfer generated images
  [paper]="--set loss.camera_entropy_weight=false --set generator.enabled=true --set generator.kind=color"
  [centroid]="--set loss.intra=false --set loss.inter=false"
  [full]=""
  [full_centroid_modes]="--set loss.intra_mode=centroid --set loss.inter_mode=centroid"
  [full_intra_centroid]="--set loss.intra_mode=centroid"
  [full_core]="--set loss.positive_pool=core"
  [full_batch]="--set loss.positive_pool=batch"
  [full_ramp]="--set loss.ramp_start=3 --set loss.ramp_epochs=3"
  [centroid_intra]="--set loss.inter=false"
  [centroid_inter]="--set loss.intra=false"
  [camera_aware]="--set train.camera_aware=true"
  [camera_centering]="--set cluster.camera_centering=true"
  [centroid_camera_centering]="--set cluster.camera_centering=true --set loss.intra=false --set loss.inter=false"
  [eps_auto]="--set cluster.eps_policy=auto"
  [eps_schedule]="--set cluster.eps_policy=schedule --set cluster.eps_start=0.6 --set cluster.eps=0.5 --set cluster.eps_epochs=8"
  [instance_momentum_05]="--set loss.instance_momentum=0.5"
  [no_generator]="--set generator.enabled=false"
)
