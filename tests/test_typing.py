"""Issue 20: the public API is typed. Every public function, every public method of a public class and every public
method of a result class annotates each parameter and its return (mypy, run by ``make typecheck``, then checks the
annotations against the code)."""

import importlib
import inspect

# the modules whose __all__ is the public API: the errors, the five pillars (psychometrics re-exports them), the
# report and the comparison of results
PUBLIC_MODULES = ("errors", "reliability", "factor", "sem", "validity", "survey", "report", "compare", "testing")


def _public_names():
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(f"psychometrics.{module_name}")
        for name in module.__all__:
            yield f"{module_name}.{name}", getattr(module, name)


def _functions(qualname, obj):
    """(name, function) of a public function, or of a public class's own public methods and properties."""
    if inspect.isclass(obj):
        for name, member in vars(obj).items():
            if name.startswith("_") and name not in ("__init__", "__call__"):
                continue
            member = member.fget if isinstance(member, property) else member
            member = member.__func__ if isinstance(member, (staticmethod, classmethod)) else member
            if inspect.isfunction(member):
                yield f"{qualname}.{name}", member
    elif inspect.isfunction(inspect.unwrap(obj)):
        yield qualname, obj


def _missing_annotations(name, function):
    signature = inspect.signature(function)  # follows __wrapped__ of the decorated functions
    missing = [
        f"{name}({p.name})"
        for p in signature.parameters.values()
        if p.name not in ("self", "cls") and p.annotation is inspect.Parameter.empty
    ]
    if signature.return_annotation is inspect.Signature.empty and not name.endswith(".__init__"):
        missing.append(f"{name} -> ?")
    return missing


def _result_classes():
    """Every result class, also those only returned by another result's method (ScoreTestResult ...)."""
    from psychometrics._results import Result

    found, todo = [], [Result]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


PUBLIC_FUNCTIONS = [pair for qualname, obj in _public_names() for pair in _functions(qualname, obj)]
RESULT_METHODS = [pair for cls in _result_classes() for pair in _functions(f"{cls.__module__}.{cls.__qualname__}", cls)]


def test_the_public_api_is_found():
    names = {name for name, _ in PUBLIC_FUNCTIONS}
    assert {
        "reliability.cronbach_alpha",
        "sem.cfa",
        "sem.CFAResult.implied_cov",
        "report.run_spec",
        "factor.EFAResult.factor_scores",
        "survey.read_survey",
    } <= names
    assert len(PUBLIC_FUNCTIONS) > 150


def test_every_public_function_annotates_its_parameters_and_return():
    missing = [entry for name, function in PUBLIC_FUNCTIONS for entry in _missing_annotations(name, function)]
    assert not missing, f"{len(missing)} annotation(s) missing: {missing}"


def test_the_callable_sem_pillar_is_annotated():
    import psychometrics

    assert not _missing_annotations("psychometrics.sem", type(psychometrics.sem).__call__)


def test_every_result_method_annotates_its_parameters_and_return():
    assert len(RESULT_METHODS) > 50
    missing = [entry for name, function in RESULT_METHODS for entry in _missing_annotations(name, function)]
    assert not missing, f"{len(missing)} annotation(s) missing: {missing}"
