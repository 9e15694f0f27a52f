"""A tiny MLServer runtime for the tests: scores = inputs x a weight read from the model file.

MLServer imports it by name (`"implementation": "mlops_test_runtime.WeightModel"`, with this
folder on PYTHONPATH), so it runs in the MLServer venv, never in the app's. A missing model
file makes the load fail the way a real runtime's would; a negative input fails the request,
so the failure counter can be driven too.
"""

from mlserver import MLModel
from mlserver.errors import InferenceError
from mlserver.types import InferenceRequest, InferenceResponse, ResponseOutput
from mlserver.utils import get_model_uri


class WeightModel(MLModel):
    async def load(self) -> bool:
        path = await get_model_uri(self.settings)
        with open(path, encoding="utf-8") as fh:  # FileNotFoundError when it is gone
            self._weight = float(fh.read().strip() or 1)
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        data = payload.inputs[0].data
        values = [float(v) for v in getattr(data, "root", data)]
        if any(v < 0 for v in values):
            raise InferenceError("amounts must not be negative")  # HTTP 400, a counted failure
        return InferenceResponse(
            model_name=self.name,
            model_version=self.version,
            outputs=[
                ResponseOutput(
                    name="score", shape=[len(values)], datatype="FP64", data=[v * self._weight for v in values]
                )
            ],
        )
