# shellcheck shell=bash
# The override list shared by the Qwen2.5 recipes of every size (_qwen2.5_32b.sh, _qwen2.5_7b.sh source it
# after setting their knobs): one list, so SRPO and its GRPO/DAPO baselines, at either size, differ only in
# the values of the knobs and in their algorithm. Sourced, never run.

# Token budgets per GPU (the size file's ACTOR_TOKENS_X / LOGPROB_TOKENS_X): a micro-batch packs up to
# budget x SP_SIZE tokens over one Ulysses group, so each GPU holds `budget` tokens of activations and logits.
ACTOR_MAX_TOKENS=$(((MAX_PROMPT_LEN + MAX_RESPONSE_LEN) * ACTOR_TOKENS_X))
INFER_MAX_TOKENS=$(((MAX_PROMPT_LEN + MAX_RESPONSE_LEN) * LOGPROB_TOKENS_X))

# Read by the run_*.sh script that sources this file.
# shellcheck disable=SC2034
COMMON_ARGS=(
  data.train_files="$TRAIN_FILES"
  data.val_files="$VAL_FILES"
  data.train_batch_size="$TRAIN_BATCH"
  data.max_prompt_length="$MAX_PROMPT_LEN"
  data.max_response_length="$MAX_RESPONSE_LEN"
  data.filter_overlong_prompts=True
  data.truncation=error
  reward.custom_reward_function.path=pkg://verl_srpo.rewards
  reward.custom_reward_function.name=compute_score
  actor_rollout_ref.model.path="$MODEL_PATH"
  actor_rollout_ref.model.use_remove_padding=True
  actor_rollout_ref.model.enable_gradient_checkpointing=True
  actor_rollout_ref.actor.optim.lr="$LR"
  actor_rollout_ref.actor.optim.betas="$ADAM_BETAS"
  actor_rollout_ref.actor.optim.weight_decay="$WEIGHT_DECAY"
  actor_rollout_ref.actor.loss_agg_mode="$LOSS_AGG"
  actor_rollout_ref.actor.use_kl_loss=False
  actor_rollout_ref.actor.entropy_coeff=0
  actor_rollout_ref.actor.clip_ratio_low="$CLIP_LOW"
  actor_rollout_ref.actor.clip_ratio_high="$CLIP_HIGH"
  actor_rollout_ref.actor.clip_ratio_c="$CLIP_C"
  actor_rollout_ref.actor.ppo_mini_batch_size="$MINI_BATCH"
  actor_rollout_ref.actor.ppo_epochs="$PPO_EPOCHS"
  actor_rollout_ref.actor.use_dynamic_bsz=True
  actor_rollout_ref.actor.ppo_max_token_len_per_gpu="$ACTOR_MAX_TOKENS"
  actor_rollout_ref.actor.ulysses_sequence_parallel_size="$SP_SIZE"
  actor_rollout_ref.actor.entropy_from_logits_with_chunking="$ENTROPY_CHUNKING"   # read by the FSDP engine
  actor_rollout_ref.actor.fsdp_config.param_offload="$OFFLOAD"
  actor_rollout_ref.actor.fsdp_config.optimizer_offload="$OFFLOAD"
  actor_rollout_ref.rollout.name=vllm
  actor_rollout_ref.rollout.n="$ROLLOUT_N"
  actor_rollout_ref.rollout.temperature="$TEMPERATURE"
  actor_rollout_ref.rollout.tensor_model_parallel_size="$GEN_TP"
  actor_rollout_ref.rollout.gpu_memory_utilization="$GPU_MEM_UTIL"
  actor_rollout_ref.rollout.enforce_eager="$ENFORCE_EAGER"
  actor_rollout_ref.rollout.max_num_seqs="$MAX_NUM_SEQS"
  actor_rollout_ref.rollout.max_num_batched_tokens="$((MAX_PROMPT_LEN + MAX_RESPONSE_LEN))"
  actor_rollout_ref.rollout.log_prob_max_token_len_per_gpu="$INFER_MAX_TOKENS"
  actor_rollout_ref.rollout.val_kwargs.n="$VAL_N"          # in-training validation, at the training length
  actor_rollout_ref.rollout.val_kwargs.do_sample=True
  actor_rollout_ref.rollout.val_kwargs.temperature=0.6      # SRPO.md "Evaluation protocol"
  actor_rollout_ref.rollout.val_kwargs.top_p=0.95           # SRPO.md "Evaluation protocol"
  trainer.nnodes="$NNODES"
  trainer.n_gpus_per_node="$GPUS_PER_NODE"
  trainer.total_epochs=1000
  trainer.total_training_steps="$TOTAL_STEPS"
  trainer.project_name="$PROJECT"
  trainer.experiment_name="$EXPERIMENT"
  trainer.logger="$LOGGER"
  trainer.save_freq="$SAVE_FREQ"
  trainer.default_local_dir="$CKPT_DIR"
  trainer.max_actor_ckpt_to_keep="$MAX_CKPT_TO_KEEP"
  trainer.test_freq="$TEST_FREQ"
  actor_rollout_ref.actor.optim.lr_scheduler_type=constant  # SRPO.md "Loss and optimiser": constant
  actor_rollout_ref.actor.optim.lr_warmup_steps_ratio=0.0
  algorithm.use_kl_in_reward=False                          # SRPO.md "Loss and optimiser": no KL
)
