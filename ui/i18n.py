"""Every sentence the page shows, in English and Chinese. Keys are stable; add a language by adding a dict."""

from __future__ import annotations

LANGUAGES = {"en": "English", "zh": "中文"}

EN = {
    "app.title": "# Next-Token Lab",
    "app.subtitle": "How a GPT turns text into next tokens — every number on this page is computed live by a real model.",
    "app.model": "Model",
    "app.model_info": "bundled = small Shakespeare GPT shipped with the app (offline); gpt2 = GPT-2 124M (local folder or the Hub)",
    "app.language": "Language / 语言",
    "app.status_loading": "⏳ Loading the model…",
    "app.status": "**Model:** {model} · {parameters:,} parameters · {layers} layers × {heads} heads · width {width} · context {context} · on **{device}**",
    "app.random_note": " · ⚠️ **random weights**: the bundled model is not trained yet, so predictions are noise (the mechanics are still real).",
    "tab.tokens": "1 · Tokenization",
    "tab.attention": "2 · Attention & masks",
    "tab.padding": "3 · Padding lab",
    "tab.sampling": "4 · Sampling lab",
    # Tokenization
    "tok.intro": (
        "A model never sees letters: it sees **token ids**. Each tokenizer cuts text into pieces from its own "
        "vocabulary (byte-pair encoding over UTF-8 bytes). Compare three real ones: GPT-2 (50 257 tokens), "
        "cl100k (GPT-3.5/4, ~100 k) and o200k (GPT-4o, ~200 k). A Chinese character or an emoji is 3–4 bytes; "
        "when a tokenizer splits it, a single token is **not a valid character on its own** — shown here by its "
        "hex bytes with a dashed border, and framed together with the tokens that complete the character."
    ),
    "tok.text": "Text",
    "tok.special": "Treat <|endoftext|> as a special token",
    "tok.special_info": "Off: typed text is just text (safe default). On: the string becomes the single end-of-text id.",
    "tok.bytes": "Show the bytes of each token",
    "tok.run": "Tokenize",
    "tok.ids": "Token ids (copyable)",
    "tok.tokens": "tokens",
    "tok.partial": "bytes that only form a character together",
    "tok.partial_count": "partial-UTF-8 tokens",
    "tok.empty": "No tokens: the text is empty.",
    "tok.h.name": "tokenizer",
    "tok.h.tokens": "tokens",
    "tok.h.chars": "characters",
    "tok.h.bytes": "UTF-8 bytes",
    "tok.h.cpt": "characters per token",
    "tok.h.vocab": "vocabulary",
    # Attention
    "att.intro": (
        "Each layer has several **attention heads**; each head gives every token (a *query*, one row) a probability "
        "distribution over the tokens it may read (*keys*, the columns). The **mask** decides which cells are allowed: "
        "a GPT uses a **causal** mask (no peeking at the future). With two prompts of different lengths the batch is "
        "padded; the **padding mask** blocks the pad columns (outlined in orange). Left-pad rows can read nothing at "
        "all: they are defined to attend to nothing (all zeros). Change the mask to see how a model trained causally "
        "reacts when it suddenly sees the future."
    ),
    "att.prompt_a": "Prompt A",
    "att.prompt_b": "Prompt B (optional)",
    "att.prompt_b_info": "With two prompts the batch is padded to the longer one.",
    "att.side": "Padding side",
    "att.mask": "Mask",
    "att.prefix": "Prefix length (prefix-LM)",
    "att.window": "Window (sliding window)",
    "att.layer": "Layer",
    "att.head": "Head",
    "att.row": "Show prompt",
    "att.extend": "Generate extra tokens first",
    "att.run": "Run the model",
    "att.facts": "Numbers behind the figures",
    "att.axis.key": "key (read from)",
    "att.axis.query": "query (reading)",
    "att.fig.head": "Layer {layer}, head {head} — {mask}",
    "att.fig.head_summary": "Attention probabilities for {n} positions ({pads} pads); each non-empty row sums to 1.",
    "att.fig.heads": "All heads of layer {layer}",
    "att.fig.heads_summary": "{h} heads side by side on one colour scale: different heads learn different patterns.",
    "att.fig.mask": "The mask that was applied — {mask}",
    "att.fig.mask_summary": "Blue cells may be attended ({allowed} of {total}); grey cells are blocked and get weight exactly 0.",
    "att.fig.gallery": "Mask gallery",
    "att.fig.gallery_summary": "The same positions under each kind of mask (blue = allowed).",
    "att.fig.next": "Next-token prediction: causal vs the chosen mask",
    "att.fig.next_summary": "Top prediction with the causal mask: {a!r}; with the chosen mask: {b!r}.",
    "att.reference": "causal mask (as trained)",
    "att.chosen": "chosen mask: {mask}",
    "mask.causal": "causal",
    "mask.padding": "padding",
    "mask.causal_padding": "causal + padding",
    "mask.bidirectional": "bidirectional",
    "mask.prefix_lm": "prefix-LM",
    "mask.sliding_window": "sliding window",
    # Padding lab
    "pad.intro": (
        "To generate for several prompts at once they must be padded to one length. A GPT reads the next token from "
        "the **last column**. Pad on the **right** and a short prompt's last column is a pad, so the model continues "
        "from a pad. Pad on the **left** (with a padding mask and position ids that skip the pads) and every row gives "
        "exactly what it would give alone. LLaMA pads right but never reads a pad: it starts at the shortest prompt "
        "and keeps each row's own prompt tokens (`input_text_mask`). The table checks each strategy against running "
        "every prompt alone."
    ),
    "pad.prompts": "Prompts (one per line, 2–4)",
    "pad.prompts_info": "Different lengths make the point.",
    "pad.strategy": "Strategy shown in the figures",
    "pad.row": "Row shown in the distribution",
    "pad.max_new": "New tokens",
    "pad.run": "Compare the strategies",
    "pad.facts": "Numbers behind the table",
    "pad.err.count": "Give between 2 and {max} prompts, one per line (got {n}).",
    "pad.grid.tokens": "tokens (blue = attended)",
    "pad.grid.mask": "attention mask",
    "pad.grid.mask_llama": "input_text_mask (prompt cells)",
    "pad.grid.positions": "position ids",
    "pad.fig.layout": "What the first forward pass sees — {strategy}",
    "pad.explain.left": "Pads on the left, masked; positions count real tokens only, so every row matches its run alone.",
    "pad.explain.left-no-position-ids": "Pads masked, but positions count the pads: padded rows see shifted positions and drift.",
    "pad.explain.right-naive": "Pads on the right and attended like text; short rows read their next token from a pad.",
    "pad.explain.right-naive-pad-mask": "Pads masked, positions fixed, but the first token is still read from a pad column.",
    "pad.explain.right-masked": "LLaMA style: start at the shortest prompt and keep prompt tokens where input_text_mask is set; no pad is ever read.",
    "pad.alone": "prompt alone",
    "pad.fig.first": "Row {row}: first-step next-token distribution vs the prompt alone",
    "pad.fig.first_summary": "max |Δlogit| at the first step = {delta:.3g}",
    "pad.h.strategy": "strategy",
    "pad.h.row": "row",
    "pad.h.continuation": "continuation (first divergent token highlighted)",
    "pad.h.alone": "equals running alone?",
    "pad.h.dlogit": "max |Δlogit|",
    "pad.first_diverge": "first token that differs from running alone",
    "pad.match": "identical",
    "pad.differs_at": "differs from token {i}",
    # Sampling lab
    "smp.intro": (
        "The model outputs one score (logit) per vocabulary token. Softmax turns them into probabilities, then each "
        "knob reshapes the distribution in a fixed order: **repetition penalty → temperature → top-k → top-p → "
        "min-p → renormalise**. Temperature 0 means greedy (always the top token). Each panel below shows the same "
        "tokens after each stage; the statistics say how many tokens survive and how uncertain the choice is."
    ),
    "smp.prompt": "Prompt",
    "smp.penalty": "Repetition penalty",
    "smp.temperature": "Temperature",
    "smp.temperature_info": "0 = greedy",
    "smp.top_k": "Top-k",
    "smp.top_p": "Top-p (nucleus)",
    "smp.min_p": "Min-p",
    "smp.off_zero": "0 = off",
    "smp.off_one": "1 = off",
    "smp.show": "Show the distribution",
    "smp.facts": "Numbers behind the figures",
    "smp.draws": "Number of draws",
    "smp.seed": "Seed",
    "smp.draw": "Draw samples",
    "smp.max_new": "New tokens",
    "smp.generate": "Generate with these settings",
    "smp.kept": "kept",
    "smp.entropy": "entropy (nats)",
    "smp.expected": "distribution sampled from",
    "smp.observed": "observed frequency",
    "smp.axis.rank": "tokens sorted by probability (rank)",
    "smp.axis.cumulative": "cumulative probability",
    "smp.fig.stages": "The distribution after each stage",
    "smp.fig.stages_summary": "Same tokens in every panel; {kept} tokens remain possible at the end.",
    "smp.fig.cumulative": "Top-p: where the nucleus ends",
    "smp.fig.cumulative_summary": "The smallest set of tokens whose mass reaches p = {p:g} has {n} tokens.",
    "smp.fig.sweep": "Temperature sweep",
    "smp.fig.sweep_summary": "Low temperature sharpens the distribution, high temperature flattens it.",
    "smp.fig.draws": "{n} seeded draws (seed {seed}) against their distribution",
    "smp.fig.draws_summary": "Total variation distance between draws and distribution: {tv:.4f}",
    "smp.h.stage": "stage",
    "smp.h.kept": "tokens kept",
    "smp.h.entropy": "entropy (nats)",
    "smp.h.effective": "effective choices (e^H)",
    "stage.model": "model softmax",
    "stage.repetition_penalty": "repetition penalty",
    "stage.temperature": "temperature",
    "stage.top_k": "top-k",
    "stage.top_p": "top-p",
    "stage.min_p": "min-p (final)",
}

ZH = {
    "app.title": "# Next-Token Lab · 下一个词元实验室",
    "app.subtitle": "看 GPT 如何把文字变成下一个词元——本页的每个数字都由真实模型现场算出。",
    "app.model": "模型",
    "app.model_info": "bundled = 随应用附带的小型莎士比亚 GPT（离线可用）；gpt2 = GPT-2 124M（本地目录或 Hugging Face Hub）",
    "app.language": "Language / 语言",
    "app.status_loading": "⏳ 正在加载模型……",
    "app.status": "**模型：** {model} · {parameters:,} 个参数 · {layers} 层 × {heads} 个注意力头 · 宽度 {width} · 上下文 {context} · 运行于 **{device}**",
    "app.random_note": " · ⚠️ **随机权重**：内置模型尚未训练，预测只是噪声（但计算过程是真实的）。",
    "tab.tokens": "1 · 分词",
    "tab.attention": "2 · 注意力与掩码",
    "tab.padding": "3 · 填充实验",
    "tab.sampling": "4 · 采样实验",
    "tok.intro": (
        "模型看不到“字”，它看到的是**词元 id**。每种分词器都用自己的词表把文本切成片段（在 UTF-8 字节上做 BPE）。"
        "这里并排比较三种真实的分词器：GPT-2（50 257 个词元）、cl100k（GPT-3.5/4，约 10 万）和 o200k（GPT-4o，约 20 万）。"
        "一个汉字或表情符号占 3–4 个字节；如果分词器把它拆开，单个词元**本身就不是一个完整的字符**——"
        "这里用虚线框和十六进制字节显示它，并把拼成同一个字符的几个词元框在一起。"
    ),
    "tok.text": "文本",
    "tok.special": "把 <|endoftext|> 当作特殊词元",
    "tok.special_info": "关闭：用户输入的只是普通文字（安全的默认做法）。打开：这串字符变成唯一的“文本结束”id。",
    "tok.bytes": "显示每个词元的字节",
    "tok.run": "分词",
    "tok.ids": "词元 id（可复制）",
    "tok.tokens": "个词元",
    "tok.partial": "只有合在一起才构成字符的字节",
    "tok.partial_count": "个不完整的 UTF-8 词元",
    "tok.empty": "没有词元：文本为空。",
    "tok.h.name": "分词器",
    "tok.h.tokens": "词元数",
    "tok.h.chars": "字符数",
    "tok.h.bytes": "UTF-8 字节数",
    "tok.h.cpt": "每个词元的字符数",
    "tok.h.vocab": "词表大小",
    "att.intro": (
        "每一层有多个**注意力头**。每个头为每个词元（*查询*，一行）在它能读到的词元（*键*，各列）上给出一个概率分布。"
        "**掩码**决定哪些格子允许读取：GPT 用的是**因果掩码**（不能偷看后面的词）。输入两个长度不同的提示时，批次需要填充，"
        "**填充掩码**会挡住填充列（橙色虚线框）。左侧填充的行什么都读不到，我们规定它“不关注任何位置”（全为 0）。"
        "换一种掩码，看看一个按因果方式训练的模型突然看到“未来”时会怎样。"
    ),
    "att.prompt_a": "提示 A",
    "att.prompt_b": "提示 B（可选）",
    "att.prompt_b_info": "有两个提示时，批次会被填充到较长的那个长度。",
    "att.side": "填充方向",
    "att.mask": "掩码",
    "att.prefix": "前缀长度（prefix-LM）",
    "att.window": "窗口大小（滑动窗口）",
    "att.layer": "层",
    "att.head": "注意力头",
    "att.row": "显示哪个提示",
    "att.extend": "先多生成几个词元",
    "att.run": "运行模型",
    "att.facts": "图背后的数字",
    "att.axis.key": "键（被读取）",
    "att.axis.query": "查询（正在读取）",
    "att.fig.head": "第 {layer} 层，第 {head} 个头 —— {mask}",
    "att.fig.head_summary": "{n} 个位置（其中 {pads} 个填充）的注意力概率；每个非空行之和为 1。",
    "att.fig.heads": "第 {layer} 层的全部注意力头",
    "att.fig.heads_summary": "{h} 个头并排、共用一个色标：不同的头学到不同的模式。",
    "att.fig.mask": "实际使用的掩码 —— {mask}",
    "att.fig.mask_summary": "蓝色格子可以关注（{total} 个中的 {allowed} 个）；灰色格子被挡住，权重严格为 0。",
    "att.fig.gallery": "掩码一览",
    "att.fig.gallery_summary": "同样的位置在各种掩码下的样子（蓝色 = 允许）。",
    "att.fig.next": "下一个词元的预测：因果掩码 vs 所选掩码",
    "att.fig.next_summary": "因果掩码下的首选：{a!r}；所选掩码下的首选：{b!r}。",
    "att.reference": "因果掩码（训练时的设置）",
    "att.chosen": "所选掩码：{mask}",
    "mask.causal": "因果",
    "mask.padding": "填充",
    "mask.causal_padding": "因果 + 填充",
    "mask.bidirectional": "双向",
    "mask.prefix_lm": "前缀 LM",
    "mask.sliding_window": "滑动窗口",
    "pad.intro": (
        "要一次为多个提示生成文本，必须把它们填充到同一长度。GPT 从**最后一列**读出下一个词元。"
        "如果在**右侧**填充，短提示的最后一列是填充符，模型就会接着填充符往下写。"
        "如果在**左侧**填充（配合填充掩码，并让位置编号跳过填充），每一行的结果都和单独运行时完全一样。"
        "LLaMA 在右侧填充，却从不读取填充符：它从最短的提示开始，并用 `input_text_mask` 保留每行自己的提示词元。"
        "下表把每种策略和“每个提示单独运行”逐词对比。"
    ),
    "pad.prompts": "提示（每行一个，2–4 个）",
    "pad.prompts_info": "长度不同，效果才明显。",
    "pad.strategy": "图中展示的策略",
    "pad.row": "分布图展示哪一行",
    "pad.max_new": "新生成的词元数",
    "pad.run": "比较各种策略",
    "pad.facts": "表格背后的数字",
    "pad.err.count": "请输入 2 到 {max} 个提示，每行一个（现在是 {n} 个）。",
    "pad.grid.tokens": "词元（蓝色 = 被关注）",
    "pad.grid.mask": "注意力掩码",
    "pad.grid.mask_llama": "input_text_mask（提示所在格）",
    "pad.grid.positions": "位置编号",
    "pad.fig.layout": "第一次前向计算看到的输入 —— {strategy}",
    "pad.explain.left": "左侧填充并加掩码；位置只数真实词元，所以每行都与单独运行一致。",
    "pad.explain.left-no-position-ids": "填充被掩盖了，但位置编号把填充也算进去：有填充的行位置整体错位，结果逐渐跑偏。",
    "pad.explain.right-naive": "右侧填充，并像普通文字一样被关注；短的行从填充符读出下一个词元。",
    "pad.explain.right-naive-pad-mask": "填充被掩盖、位置也正确，但第一个词元仍然是从填充列读出的。",
    "pad.explain.right-masked": "LLaMA 的做法：从最短提示开始，凡是 input_text_mask 标记为提示的位置就保留提示词元；从不读取填充符。",
    "pad.alone": "单独运行",
    "pad.fig.first": "第 {row} 行：第一步的下一词元分布 vs 单独运行",
    "pad.fig.first_summary": "第一步的最大 |Δlogit| = {delta:.3g}",
    "pad.h.strategy": "策略",
    "pad.h.row": "行",
    "pad.h.continuation": "续写（高亮第一个不同的词元）",
    "pad.h.alone": "与单独运行相同？",
    "pad.h.dlogit": "最大 |Δlogit|",
    "pad.first_diverge": "第一个与单独运行不同的词元",
    "pad.match": "完全相同",
    "pad.differs_at": "从第 {i} 个词元起不同",
    "smp.intro": (
        "模型为词表里的每个词元输出一个分数（logit）。softmax 把它们变成概率，然后各个旋钮按固定顺序改造这个分布："
        "**重复惩罚 → 温度 → top-k → top-p → min-p → 重新归一化**。温度为 0 就是贪心解码（总选概率最高的词元）。"
        "下面每个小图展示同一批词元在每一步之后的概率；统计表告诉你还剩多少个候选、选择有多不确定。"
    ),
    "smp.prompt": "提示",
    "smp.penalty": "重复惩罚",
    "smp.temperature": "温度",
    "smp.temperature_info": "0 = 贪心",
    "smp.top_k": "Top-k",
    "smp.top_p": "Top-p（核采样）",
    "smp.min_p": "Min-p",
    "smp.off_zero": "0 = 关闭",
    "smp.off_one": "1 = 关闭",
    "smp.show": "显示分布",
    "smp.facts": "图背后的数字",
    "smp.draws": "抽样次数",
    "smp.seed": "随机种子",
    "smp.draw": "抽样",
    "smp.max_new": "新生成的词元数",
    "smp.generate": "用这些设置生成",
    "smp.kept": "保留",
    "smp.entropy": "熵（nats）",
    "smp.expected": "被抽样的分布",
    "smp.observed": "实际频率",
    "smp.axis.rank": "按概率排序的词元（名次）",
    "smp.axis.cumulative": "累计概率",
    "smp.fig.stages": "每一步之后的分布",
    "smp.fig.stages_summary": "每个小图是同一批词元；最后还有 {kept} 个词元可能被选中。",
    "smp.fig.cumulative": "Top-p：核在哪里截断",
    "smp.fig.cumulative_summary": "累计概率达到 p = {p:g} 的最小词元集合有 {n} 个词元。",
    "smp.fig.sweep": "温度扫描",
    "smp.fig.sweep_summary": "温度低，分布变尖；温度高，分布变平。",
    "smp.fig.draws": "{n} 次带种子的抽样（种子 {seed}）与其分布对比",
    "smp.fig.draws_summary": "抽样结果与分布之间的总变差距离：{tv:.4f}",
    "smp.h.stage": "步骤",
    "smp.h.kept": "保留的词元数",
    "smp.h.entropy": "熵（nats）",
    "smp.h.effective": "等效候选数（e^H）",
    "stage.model": "模型 softmax",
    "stage.repetition_penalty": "重复惩罚",
    "stage.temperature": "温度",
    "stage.top_k": "top-k",
    "stage.top_p": "top-p",
    "stage.min_p": "min-p（最终）",
}

TEXT = {"en": EN, "zh": ZH}


def normalise_language(value: object) -> str:
    """Any browser or API language tag → 'zh' for Chinese variants, else 'en'."""
    return "zh" if isinstance(value, str) and value.strip().lower().startswith("zh") else "en"


def t(key: str, language: str = "en") -> str:
    """The text for ``key`` in ``language``, falling back to English."""
    return TEXT[normalise_language(language)].get(key) or EN[key]
