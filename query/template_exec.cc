// Executes a TemplateTree the way Go's text/template/exec.go does (with Prometheus'
// Option("missingkey=zero")): the walk, variables, fields, commands, argument typing, the
// short-circuit and/or, and Go's execution error wording. Functions live in
// template_funcs.cc; this file adds the caps on output, steps and depth.
#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "common/strings.h"
#include "query/internal/template_tree.h"

namespace plumbline::query::internal {
namespace {

// Go's parameter types of the functions, for argument checks and messages.
enum class Param { kReflect, kAny, kString, kSamples, kSample };

const char* ParamName(Param p) {
  switch (p) {
    case Param::kReflect:
      return "reflect.Value";
    case Param::kAny:
      return "interface {}";
    case Param::kString:
      return "string";
    case Param::kSamples:
      return "template.queryResult";
    case Param::kSample:
      return "*template.sample";
  }
  return "";
}

struct Signature {
  std::vector<Param> fixed;
  bool variadic = false;
  Param rest = Param::kAny;
};

const Signature& SignatureOf(int id) {
  using P = Param;
  static const std::vector<Signature>* table = [] {
    auto* t = new std::vector<Signature>(kFnCount);
    auto& s = *t;
    s[kFnAnd] = s[kFnOr] = s[kFnEq] = s[kFnIndex] =
        s[kFnSlice] = {{P::kReflect}, true, P::kReflect};
    s[kFnNot] = s[kFnLen] = {{P::kReflect}};
    s[kFnPrint] = s[kFnPrintln] = s[kFnHtml] = s[kFnJs] = s[kFnUrlquery] =
        s[kFnArgs] = {{}, true, P::kAny};
    s[kFnPrintf] = {{P::kString}, true, P::kAny};
    s[kFnNe] = s[kFnLt] = s[kFnLe] = s[kFnGt] = s[kFnGe] = {{P::kReflect, P::kReflect}};
    s[kFnQuery] = s[kFnTitle] = s[kFnToUpper] = s[kFnToLower] = s[kFnSafeHtml] = {{P::kString}};
    s[kFnGraphLink] = s[kFnTableLink] = s[kFnStripPort] = s[kFnStripDomain] = {{P::kString}};
    s[kFnParseDuration] = {{P::kString}};
    s[kFnFirst] = {{P::kSamples}};
    s[kFnLabel] = {{P::kString, P::kSample}};
    s[kFnValue] = s[kFnStrvalue] = {{P::kSample}};
    s[kFnSortByLabel] = {{P::kString, P::kSamples}};
    s[kFnHumanize] = s[kFnHumanize1024] = s[kFnHumanizeDuration] = {{P::kAny}};
    s[kFnHumanizePercentage] = s[kFnHumanizeTimestamp] = s[kFnToTime] = {{P::kAny}};
    s[kFnMatch] = {{P::kString, P::kString}};
    s[kFnReReplaceAll] = {{P::kString, P::kString, P::kString}};
    s[kFnPathPrefix] = s[kFnExternalURL] = {};
    return t;
  }();
  return (*table)[id];
}

enum class Flow { kNormal, kBreak, kContinue };

class Executor {
 public:
  Executor(const TemplateTree& tree, const TemplateData& data, const TemplateQueryFn& query)
      : tree_(tree), data_(data), query_(query), name_(tree.name) {}

  std::string Run() {
    Value dot;
    dot.kind = ValueKind::kData;
    dot.data = &data_;
    vars_.emplace_back("$", dot);
    Walk(dot, *tree_.templates.at(tree_.name));
    return std::move(out_);
  }

 private:
  [[noreturn]] void Fail(absl::StatusCode code, std::string_view msg) {
    std::string full;
    if (at_ == nullptr) {
      full = StrCat("template: ", name_, ": ", msg);
    } else {
      const std::string_view text(tree_.text);
      const std::string_view before = text.substr(0, std::min<size_t>(at_->pos, text.size()));
      const size_t nl = before.rfind('\n');
      const size_t col = nl == std::string_view::npos ? before.size() : before.size() - nl - 1;
      const auto line = 1 + std::count(before.begin(), before.end(), '\n');
      full = absl::StrFormat("template: %s:%d:%d: executing %s at <%s>: %s", tree_.name, line, col,
                             GoQuote(name_), at_->String(), ToAbsl(msg));
    }
    throw TemplateError{code, std::move(full)};
  }
  [[noreturn]] void Errorf(std::string_view msg) { Fail(absl::StatusCode::kInvalidArgument, msg); }
  void Step() {
    if (++steps_ > kMaxSteps) {
      Fail(absl::StatusCode::kResourceExhausted,
           absl::StrFormat("evaluation exceeded %d steps", kMaxSteps));
    }
  }
  void Write(std::string_view s) {
    if (out_.size() + s.size() > kMaxOutputBytes) {
      Fail(absl::StatusCode::kResourceExhausted,
           absl::StrFormat("output exceeds %d bytes", kMaxOutputBytes));
    }
    out_.append(s);
  }

  struct DepthGuard {
    explicit DepthGuard(Executor* e) : e(e) {
      if (++e->depth_ > kMaxExecDepth) {
        e->Fail(absl::StatusCode::kResourceExhausted, "exceeded maximum nesting depth");
      }
    }
    ~DepthGuard() { --e->depth_; }
    Executor* e;
  };

  Flow Walk(const Value& dot, const Node& n) {
    DepthGuard guard(this);
    at_ = &n;
    switch (n.type) {
      case NodeType::kText:
        Write(n.text);
        return Flow::kNormal;
      case NodeType::kAction: {
        Value v = EvalPipeline(dot, n.pipe.get());
        if (n.pipe->decl.empty()) {
          at_ = &n;
          Write(FormatValue(v));
        }
        return Flow::kNormal;
      }
      case NodeType::kList:
        for (const auto& c : n.nodes) {
          const Flow f = Walk(dot, *c);
          if (f != Flow::kNormal) return f;
        }
        return Flow::kNormal;
      case NodeType::kIf:
      case NodeType::kWith: {
        const size_t mark = vars_.size();
        Value v = EvalPipeline(dot, n.pipe.get());
        Flow f = Flow::kNormal;
        if (IsTrue(v)) {
          f = Walk(n.type == NodeType::kWith ? v : dot, *n.list);
        } else if (n.else_list) {
          f = Walk(dot, *n.else_list);
        }
        vars_.resize(mark);
        return f;
      }
      case NodeType::kRange:
        WalkRange(dot, n);
        return Flow::kNormal;
      case NodeType::kTemplate:
        WalkTemplate(dot, n);
        return Flow::kNormal;
      case NodeType::kBreak:
        return Flow::kBreak;
      case NodeType::kContinue:
        return Flow::kContinue;
      default:
        Errorf(StrCat("unknown node: ", n.String()));
    }
  }

  void WalkRange(const Value& dot, const Node& r) {
    const size_t outer = vars_.size();
    const Value val = EvalPipeline(dot, r.pipe.get());
    const size_t mark = vars_.size();
    const auto& decl = r.pipe->decl;
    bool any = false;
    auto iteration = [&](const Value& index, const Value& elem) {
      Step();
      any = true;
      if (!decl.empty()) {
        if (r.pipe->is_assign) {
          SetVar(decl[0]->idents[0], decl.size() > 1 ? index : elem);
          if (decl.size() > 1) SetVar(decl[1]->idents[0], elem);
        } else {
          vars_[mark - 1].second = elem;
          if (decl.size() > 1) vars_[mark - 2].second = index;
        }
      }
      const Flow f = Walk(elem, *r.list);
      vars_.resize(mark);
      return f;
    };
    switch (val.kind) {
      case ValueKind::kSamples:
        if (val.samples) {
          for (size_t i = 0; i < val.samples->size(); ++i) {
            Value elem;
            elem.kind = ValueKind::kSample;
            elem.sample = std::shared_ptr<const TemplateSample>(val.samples, &(*val.samples)[i]);
            if (iteration(Value::Int(static_cast<int64_t>(i)), elem) == Flow::kBreak) break;
          }
        }
        break;
      case ValueKind::kLabels:
        for (const auto& [k, v] : *val.labels) {
          if (iteration(Value::String(k), Value::String(v)) == Flow::kBreak) break;
        }
        break;
      case ValueKind::kArgs:
        for (const auto& [k, v] : val.args->values) {
          if (iteration(Value::String(k), v) == Flow::kBreak) break;
        }
        break;
      case ValueKind::kInvalid:
        break;
      default:
        Errorf(StrCat("range can't iterate over ", FormatValue(val)));
    }
    if (!any && r.else_list) Walk(dot, *r.else_list);
    vars_.resize(outer);
  }

  void WalkTemplate(const Value& dot, const Node& t) {
    auto it = tree_.templates.find(t.text);
    if (it == tree_.templates.end()) Errorf(StrCat("template ", GoQuote(t.text), " not defined"));
    if (template_depth_ >= kMaxTemplateDepth) {
      Fail(absl::StatusCode::kResourceExhausted,
           absl::StrFormat("exceeded maximum template depth (%d)", kMaxTemplateDepth));
    }
    Step();
    const Value new_dot = t.pipe ? EvalPipeline(dot, t.pipe.get()) : Value{};
    std::vector<std::pair<std::string, Value>> saved_vars = std::move(vars_);
    vars_.clear();
    vars_.emplace_back("$", new_dot);
    std::string saved_name = std::move(name_);
    name_ = t.text;
    ++template_depth_;
    Walk(new_dot, *it->second);
    --template_depth_;
    name_ = std::move(saved_name);
    vars_ = std::move(saved_vars);
  }

  void SetVar(const std::string& name, const Value& v) {
    for (size_t i = vars_.size(); i-- > 0;) {
      if (vars_[i].first == name) {
        vars_[i].second = v;
        return;
      }
    }
    Errorf(StrCat("undefined variable: ", name));
  }

  Value VarValue(const std::string& name) {
    for (size_t i = vars_.size(); i-- > 0;) {
      if (vars_[i].first == name) return vars_[i].second;
    }
    Errorf(StrCat("undefined variable: ", name));
  }

  Value EvalPipeline(const Value& dot, const Node* pipe) {
    if (pipe == nullptr) return Value{};
    DepthGuard guard(this);
    at_ = pipe;
    Value value;
    bool have_final = false;
    for (const auto& cmd : pipe->nodes) {
      value = EvalCommand(dot, *cmd, have_final ? &value : nullptr);
      have_final = true;
    }
    for (const auto& var : pipe->decl) {
      if (pipe->is_assign) {
        SetVar(var->idents[0], value);
      } else {
        vars_.emplace_back(var->idents[0], value);
      }
    }
    return value;
  }

  void NotAFunction(const Node& cmd, const Value* final) {
    if (cmd.nodes.size() > 1 || final != nullptr) {
      Errorf(StrCat("can't give argument to non-function ", cmd.nodes[0]->String()));
    }
  }

  Value EvalCommand(const Value& dot, const Node& cmd, const Value* final) {
    const Node& first = *cmd.nodes[0];
    switch (first.type) {
      case NodeType::kField:
        at_ = &first;
        return EvalFieldChain(dot, dot, first.idents, 0, cmd, final);
      case NodeType::kChain:
        return EvalChain(dot, first, &cmd, final);
      case NodeType::kIdentifier:
        return EvalFunction(dot, first, &cmd, final);
      case NodeType::kPipe:
        NotAFunction(cmd, final);
        return EvalPipeline(dot, &first);
      case NodeType::kVariable:
        return EvalVariable(dot, first, &cmd, final);
      default:
        break;
    }
    at_ = &first;
    NotAFunction(cmd, final);
    switch (first.type) {
      case NodeType::kBool:
        return Value::Bool(first.b);
      case NodeType::kDot:
        return dot;
      case NodeType::kNil:
        Errorf("nil is not a command");
      case NodeType::kNumber:
        return IdealConstant(first);
      case NodeType::kString:
        return Value::String(first.text);
      default:
        Errorf(StrCat("can't evaluate command ", GoQuote(first.String())));
    }
  }

  Value IdealConstant(const Node& n) {
    at_ = &n;
    return n.ideal_float ? Value::Float(n.f) : Value::Int(n.i);
  }

  Value EvalVariable(const Value& dot, const Node& v, const Node* cmd, const Value* final) {
    at_ = &v;
    Value value = VarValue(v.idents[0]);
    if (v.idents.size() == 1) {
      if (cmd != nullptr) NotAFunction(*cmd, final);
      return value;
    }
    return EvalFieldChain(dot, value, v.idents, 1, cmd ? *cmd : v, final);
  }

  Value EvalChain(const Value& dot, const Node& chain, const Node* cmd, const Value* final) {
    at_ = &chain;
    if (chain.operand->type == NodeType::kNil) {
      Errorf(StrCat("indirection through explicit nil in ", chain.String()));
    }
    Value pipe = EvalArgAny(dot, *chain.operand);
    return EvalFieldChain(dot, pipe, chain.idents, 0, cmd ? *cmd : chain, final);
  }

  // args: the command whose first word is the chain (its other words are arguments).
  Value EvalFieldChain(const Value& dot, Value receiver, const std::vector<std::string>& ident,
                       size_t from, const Node& cmd, const Value* final) {
    (void)dot;
    for (size_t i = from; i < ident.size(); ++i) {
      const bool last = i + 1 == ident.size();
      const bool has_args =
          last && ((cmd.type == NodeType::kCommand && cmd.nodes.size() > 1) || final != nullptr);
      receiver = EvalField(ident[i], receiver, has_args);
    }
    return receiver;
  }

  Value EvalField(const std::string& name, const Value& receiver, bool has_args) {
    switch (receiver.kind) {
      case ValueKind::kInvalid:
        return Value{};
      case ValueKind::kData: {
        if (has_args) Errorf(StrCat(name, " has arguments but cannot be invoked as function"));
        Value v;
        if (name == "Labels" || name == "ExternalLabels") {
          v.kind = ValueKind::kLabels;
          const auto* m =
              name == "Labels" ? &receiver.data->labels : &receiver.data->external_labels;
          v.labels = std::shared_ptr<const std::map<std::string, std::string>>(
              std::shared_ptr<const void>(), m);
          return v;
        }
        if (name == "ExternalURL") return Value::String(receiver.data->external_url);
        if (name == "Value") return Value::Float(receiver.data->value);
        break;
      }
      case ValueKind::kSample:
        if (name != "Labels" && name != "Value") break;
        if (!receiver.sample) {
          Errorf(StrCat("nil pointer evaluating *template.sample.", name));
        }
        if (has_args) Errorf(StrCat(name, " has arguments but cannot be invoked as function"));
        if (name == "Value") return Value::Float(receiver.sample->value);
        {
          Value v;
          v.kind = ValueKind::kLabels;
          v.labels = std::shared_ptr<const std::map<std::string, std::string>>(
              receiver.sample, &receiver.sample->labels);
          return v;
        }
      case ValueKind::kLabels: {
        if (has_args) Errorf(StrCat(name, " is not a method but has arguments"));
        auto it = receiver.labels->find(name);
        return Value::String(it == receiver.labels->end() ? "" : it->second);
      }
      case ValueKind::kArgs: {
        if (has_args) Errorf(StrCat(name, " is not a method but has arguments"));
        auto it = receiver.args->values.find(name);
        return it == receiver.args->values.end() ? Value{} : it->second;
      }
      default:
        break;
    }
    Errorf(absl::StrFormat("can't evaluate field %s in type %s", name, GoTypeName(receiver)));
  }

  // evalArg with an interface{} (or no) parameter type.
  Value EvalArgAny(const Value& dot, const Node& n) {
    at_ = &n;
    switch (n.type) {
      case NodeType::kDot:
        return dot;
      case NodeType::kNil:
        return Value{};
      case NodeType::kField:
        return EvalFieldChain(dot, dot, n.idents, 0, n, nullptr);
      case NodeType::kVariable:
        return EvalVariable(dot, n, nullptr, nullptr);
      case NodeType::kPipe:
        return EvalPipeline(dot, &n);
      case NodeType::kIdentifier:
        return EvalFunction(dot, n, nullptr, nullptr);
      case NodeType::kChain:
        return EvalChain(dot, n, nullptr, nullptr);
      case NodeType::kBool:
        return Value::Bool(n.b);
      case NodeType::kNumber:
        return IdealConstant(n);
      case NodeType::kString:
        return Value::String(n.text);
      default:
        Errorf(StrCat("can't handle ", n.String(), " for arg of type interface {}"));
    }
  }

  Value EvalArg(const Value& dot, Param type, const Node& n) {
    at_ = &n;
    switch (n.type) {
      case NodeType::kBool:
      case NodeType::kNumber:
      case NodeType::kString:
        switch (type) {
          case Param::kString:
            if (n.type != NodeType::kString) Errorf(StrCat("expected string; found ", n.String()));
            return Value::String(n.text);
          case Param::kSamples:
          case Param::kSample:
            Errorf(StrCat("can't handle ", n.String(), " for arg of type ", ParamName(type)));
          default:
            return EvalArgAny(dot, n);
        }
      case NodeType::kNil:
        if (type == Param::kString || type == Param::kReflect) {
          Errorf(StrCat("cannot assign nil to ", ParamName(type)));
        }
        return Typed(Value{}, type);
      default:
        return ValidateType(EvalArgAny(dot, n), type);
    }
  }

  static Value Typed(Value v, Param type) {
    if (type == Param::kSamples) v.kind = ValueKind::kSamples;
    if (type == Param::kSample) v.kind = ValueKind::kSample;
    return v;
  }

  Value ValidateType(Value v, Param type) {
    switch (type) {
      case Param::kReflect:
      case Param::kAny:
        return v;
      case Param::kString:
        if (v.kind == ValueKind::kString) return v;
        if (v.kind == ValueKind::kInvalid) Errorf("invalid value; expected string");
        break;
      case Param::kSamples:
        if (v.kind == ValueKind::kSamples) return v;
        if (v.kind == ValueKind::kInvalid) return Typed(v, type);
        break;
      case Param::kSample:
        if (v.kind == ValueKind::kSample) return v;
        if (v.kind == ValueKind::kInvalid) return Typed(v, type);
        break;
    }
    Errorf(absl::StrFormat("wrong type for value; expected %s; got %s", ParamName(type),
                           GoTypeName(v)));
  }

  Value EvalFunction(const Value& dot, const Node& ident, const Node* cmd, const Value* final) {
    at_ = &ident;
    Step();
    const int id = ident.func;
    const std::string name = ident.text;
    const Signature& sig = SignatureOf(id);
    // The arguments after the function name.
    std::vector<const Node*> args;
    if (cmd != nullptr) {
      for (size_t i = 1; i < cmd->nodes.size(); ++i) args.push_back(cmd->nodes[i].get());
    }
    const size_t num_in = args.size() + (final != nullptr ? 1 : 0);
    const size_t num_fixed = sig.fixed.size();
    if (sig.variadic) {
      if (num_in < num_fixed) {
        Errorf(absl::StrFormat("wrong number of args for %s: want at least %d got %d", name,
                               num_fixed, args.size()));
      }
    } else if (num_in != num_fixed) {
      Errorf(
          absl::StrFormat("wrong number of args for %s: want %d got %d", name, num_fixed, num_in));
    }
    auto param_at = [&](size_t i) { return i < num_fixed ? sig.fixed[i] : sig.rest; };

    if (id == kFnAnd || id == kFnOr) {
      Value v;
      for (const Node* a : args) {
        v = EvalArg(dot, Param::kReflect, *a);
        if (IsTrue(v) == (id == kFnOr)) return v;
      }
      if (final != nullptr) v = *final;
      return v;
    }

    std::vector<Value> argv;
    argv.reserve(num_in);
    for (size_t i = 0; i < args.size(); ++i) argv.push_back(EvalArg(dot, param_at(i), *args[i]));
    if (final != nullptr) argv.push_back(ValidateType(*final, param_at(argv.size())));

    const FuncContext ctx{&data_, &query_};
    try {
      Value result = CallFunc(id, argv, ctx);
      if (result.s.size() > kMaxOutputBytes) {
        Fail(absl::StatusCode::kResourceExhausted,
             absl::StrFormat("%s result exceeds %d bytes", name, kMaxOutputBytes));
      }
      return result;
    } catch (const FuncError& e) {
      at_ = cmd != nullptr ? cmd : &ident;
      Errorf(StrCat("error calling ", name, ": ", e.message));
    }
  }

  const TemplateTree& tree_;
  const TemplateData& data_;
  const TemplateQueryFn& query_;
  std::string name_;  // the template executing now
  const Node* at_ = nullptr;
  std::vector<std::pair<std::string, Value>> vars_;
  std::string out_;
  int64_t steps_ = 0;
  int depth_ = 0;
  int template_depth_ = 0;
};

std::string JoinNodes(const std::vector<std::unique_ptr<Node>>& nodes, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (i > 0) StrAppend(&out, sep);
    StrAppend(&out, nodes[i]->String());
  }
  return out;
}

std::string ControlString(std::string_view word, const Node& n) {
  std::string out = StrCat("{{", word, " ", n.pipe->String(), "}}", n.list->String());
  if (n.else_list) StrAppend(&out, "{{else}}", n.else_list->String());
  StrAppend(&out, "{{end}}");
  return out;
}

}  // namespace

Value Value::Bool(bool v) {
  Value r;
  r.kind = ValueKind::kBool;
  r.b = v;
  return r;
}
Value Value::Int(int64_t v) {
  Value r;
  r.kind = ValueKind::kInt;
  r.i = v;
  return r;
}
Value Value::Float(double v) {
  Value r;
  r.kind = ValueKind::kFloat;
  r.f = v;
  return r;
}
Value Value::String(std::string v) {
  Value r;
  r.kind = ValueKind::kString;
  r.s = std::move(v);
  return r;
}

std::string Node::String() const {
  switch (type) {
    case NodeType::kText:
      return text;
    case NodeType::kAction:
      return StrCat("{{", pipe->String(), "}}");
    case NodeType::kBool:
      return b ? "true" : "false";
    case NodeType::kChain: {
      std::string out = operand->type == NodeType::kPipe ? StrCat("(", operand->String(), ")")
                                                         : operand->String();
      for (const auto& f : idents) StrAppend(&out, ".", f);
      return out;
    }
    case NodeType::kCommand: {
      std::string out;
      for (size_t i = 0; i < nodes.size(); ++i) {
        if (i > 0) out += ' ';
        if (nodes[i]->type == NodeType::kPipe) {
          StrAppend(&out, "(", nodes[i]->String(), ")");
        } else {
          StrAppend(&out, nodes[i]->String());
        }
      }
      return out;
    }
    case NodeType::kDot:
      return ".";
    case NodeType::kField: {
      std::string out;
      for (const auto& f : idents) StrAppend(&out, ".", f);
      return out;
    }
    case NodeType::kIdentifier:
      return text;
    case NodeType::kIf:
      return ControlString("if", *this);
    case NodeType::kRange:
      return ControlString("range", *this);
    case NodeType::kWith:
      return ControlString("with", *this);
    case NodeType::kList:
      return JoinNodes(nodes, "");
    case NodeType::kNil:
      return "nil";
    case NodeType::kNumber:
      return text;
    case NodeType::kPipe: {
      std::string out;
      if (!decl.empty()) {
        StrAppend(&out, JoinNodes(decl, ", "), is_assign ? " = " : " := ");
      }
      StrAppend(&out, JoinNodes(nodes, " | "));
      return out;
    }
    case NodeType::kString:
      return quoted;
    case NodeType::kTemplate:
      if (!pipe) return StrCat("{{template ", GoQuote(text), "}}");
      return StrCat("{{template ", GoQuote(text), " ", pipe->String(), "}}");
    case NodeType::kVariable: {
      std::string out;
      for (size_t i = 0; i < idents.size(); ++i) StrAppend(&out, i > 0 ? "." : "", idents[i]);
      return out;
    }
    case NodeType::kBreak:
      return "{{break}}";
    case NodeType::kContinue:
      return "{{continue}}";
    case NodeType::kElse:
      return "{{else}}";
    case NodeType::kEnd:
      return "{{end}}";
  }
  return "";
}

std::string ExecuteTree(const TemplateTree& tree, const TemplateData& data,
                        const TemplateQueryFn& query) {
  Executor exec(tree, data, query);
  return exec.Run();
}

}  // namespace plumbline::query::internal
