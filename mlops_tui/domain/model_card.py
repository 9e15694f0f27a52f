"""What an approval shows of a model version beyond its metrics: its signature and its data.

`signature` None means unknown (not logged, or not readable): said as "signature unknown", never
taken for "unchanged". `datasets` None means the run's inputs could not be read.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelSignature:
    inputs: tuple[str, ...]  # one "name: type" per column or tensor
    outputs: tuple[str, ...]

    def changes(self, holder: ModelSignature) -> list[str]:
        """What differs from the holder's, in words (`inputs +x: double -y: long`); [] if nothing."""
        out = []
        for side, new, old in (("inputs", self.inputs, holder.inputs), ("outputs", self.outputs, holder.outputs)):
            added = [c for c in new if c not in old]
            removed = [c for c in old if c not in new]
            if added or removed:
                out.append(f"{side} " + " ".join([*(f"+{c}" for c in added), *(f"-{c}" for c in removed)]))
        return out


@dataclass(frozen=True)
class DatasetInput:
    name: str
    digest: str = ""
    context: str = ""  # training, evaluation... (the `mlflow.data.context` tag)
    source_type: str = ""

    def label(self) -> str:
        text = self.name or "(unnamed)"
        if self.digest:
            text += f" @{self.digest[:8]}"
        if self.context:
            text += f" ({self.context})"
        return text


@dataclass(frozen=True)
class VersionCard:
    model: str
    version: str
    run_id: str = ""
    signature: ModelSignature | None = None
    signature_note: str = ""  # where the signature was read, or why it is unknown
    datasets: tuple[DatasetInput, ...] | None = None
    datasets_note: str = ""  # why the datasets are unknown
