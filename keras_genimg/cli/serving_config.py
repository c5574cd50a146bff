"""`genimg serving-config`: a TF Serving model config for a folder."""


def add_parser(commands):
    parser = commands.add_parser(
        "serving-config",
        help="print a TF Serving --model_config_file for exported models",
        description=(
            "Print a ModelServerConfig (text proto) that serves every model "
            "exported under FOLDER (FOLDER/NAME/<version>/saved_model.pb) "
            "under its folder's name."
        ),
    )
    parser.add_argument("folder", metavar="FOLDER", help="e.g. saved_models")
    parser.add_argument(
        "--base-path",
        metavar="PATH",
        help="where the server sees FOLDER, e.g. /models in a container "
        "(default: FOLDER's absolute path)",
    )
    parser.set_defaults(run=run)
    return parser


def run(args):
    from keras_genimg.export.serving_config import model_server_config

    print(model_server_config(args.folder, base_path=args.base_path), end="")
